"""Feature-extraction throughput of amf.loss_gradient_features on the real architectures (ACT-style
transformer, 1D-conv diffusion head with its fixed-draw denoising loss, CNN on 64x64 frames of
scenes/cupfaucet.xml): points per second and peak memory, at the batch sizes a user passes, in
exact form (token_form="auto", as select_batch_for_policy uses) and projected (projection=k).

Each measurement runs in a fresh child process, so that its peak memory is its own: on the CPU
the growth of the process's peak resident set (ru_maxrss) over what it held after building the
model and inputs and one warm-up call on 8 points; on CUDA torch.cuda.max_memory_allocated. The
time is the median of `repeats` calls. The load average (os.getloadavg, 1 minute) is recorded
before each measurement: the machine may be shared.

    .venv/bin/python bench/feature_extraction.py --out bench/results/feature_extraction.csv
    .venv/bin/python bench/feature_extraction_table.py bench/results/feature_extraction.csv

(PYTHONPATH must put the built module first, e.g. build/python.)
"""
import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import time
import warnings

ARCHITECTURES = ("act", "diffusion", "image")
FIELDS = ("architecture", "parameters", "form", "points", "seconds_median", "points_per_second",
          "peak_memory_mib", "memory_kind", "device", "threads", "load_1min", "repeats")


def build(architecture, device):
    """(model or loss module, inputs, actions, loss, description) at a user's size, float32."""
    import numpy as np
    import torch

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    if architecture == "act":
        from amf.act_policy import ActPolicy

        # ALOHA-like: 14 joints, a chunk of 20 steps; a narrower model than LeRobot's default
        # (dim 512, 4 encoder layers), which a 2-core CPU could not time in minutes.
        model = ActPolicy(14, 8, 14, chunk=20, dim=128, heads=8, encoder_layers=2, decoder_layers=1, feedforward=512)

        def data(points):
            return rng.normal(size=(points, 22)), rng.normal(size=(points, 20 * 14))
        return model.to(device).eval(), data, None
    if architecture == "diffusion":
        from amf.diffusion_policy import DiffusionPolicy

        # LeRobot's horizon 16 with a third of its U-Net widths (512, 1024, 2048).
        policy = DiffusionPolicy(14, 8, 7, horizon=16, channels=(64, 128, 256), kernel=5, groups=8, time_dim=64)
        loss = policy.to(device).denoising_loss(draws=4, seed=0).to(device)

        def data(points):
            return (rng.normal(size=(points, 22)), rng.normal(size=(points, 16 * 7))), rng.normal(size=(points, 16 * 7))
        return loss.eval(), data, (lambda out, _: out)
    if architecture == "image":
        from amf.image_policy import ImagePolicy
        from amf.scene_frames import CupFaucetFrames

        model = ImagePolicy(8, 7, 64, 64, channels=(16, 32, 32), hidden=128)
        with CupFaucetFrames(64, 64) as camera:  # 32 distinct frames, tiled
            hand = np.stack([np.linspace(-0.2, 0.2, 32), np.linspace(0.35, 0.65, 32), np.full(32, 0.12)], axis=1)
            frames = camera.frames(hand).reshape(32, -1)

        def data(points):
            x = np.hstack([frames[np.arange(points) % 32], rng.normal(size=(points, 8))])
            return x, rng.normal(size=(points, 7))
        return model.to(device).eval(), data, None
    raise ValueError(f"unknown architecture {architecture!r}")


def measure(architecture, form, points, repeats, device):
    """One measurement (in the child process): a dict of FIELDS."""
    import torch

    import amf

    warnings.filterwarnings("ignore", message="There is a performance drop")  # torch.func on CPU attention
    model, data, loss = build(architecture, device)
    kw = dict(loss=loss) if loss is not None else {}
    if form == "exact":
        kw["token_form"] = "auto"
    else:
        kw["projection"] = int(form.split("-")[1])
    inputs, actions = data(points)
    warm_inputs, warm_actions = data(8)
    amf.loss_gradient_features(model, warm_inputs, warm_actions, **kw)
    if device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        features = amf.loss_gradient_features(model, inputs, actions, **kw)
        if device == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
        del features
    times.sort()
    median = times[len(times) // 2]
    if device == "cuda":
        peak, kind = torch.cuda.max_memory_allocated() / 2**20, "cuda max_memory_allocated"
    else:
        # ru_maxrss is in KiB on Linux; its growth is what these calls added to the peak.
        peak, kind = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024, "CPU peak RSS growth"
    return {"architecture": architecture, "parameters": sum(p.numel() for p in model.parameters()), "form": form,
            "points": points, "seconds_median": round(median, 4), "points_per_second": round(points / median, 1),
            "peak_memory_mib": round(peak, 1), "memory_kind": kind, "device": device,
            "threads": torch.get_num_threads(), "load_1min": None, "repeats": repeats}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="bench/results/feature_extraction.csv")
    parser.add_argument("--architectures", nargs="+", default=list(ARCHITECTURES), choices=ARCHITECTURES)
    parser.add_argument("--points", nargs="+", type=int, default=[64, 256, 1024])
    parser.add_argument("--forms", nargs="+", default=["exact", "projected-64"],
                        help="exact, or projected-K (K dimensions per factor)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:  # one measurement, printed as JSON for the parent
        spec = json.loads(args.child)
        print(json.dumps(measure(spec["architecture"], spec["form"], spec["points"], args.repeats, args.device)))
        return
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        for architecture in args.architectures:
            for form in args.forms:
                for points in args.points:
                    load = os.getloadavg()[0]
                    spec = json.dumps({"architecture": architecture, "form": form, "points": points})
                    done = subprocess.run([sys.executable, __file__, "--child", spec, "--repeats", str(args.repeats),
                                           "--device", args.device], capture_output=True, text=True)
                    if done.returncode != 0:
                        sys.exit(f"{architecture} {form} {points}: the measurement failed:\n{done.stderr[-3000:]}")
                    row = json.loads(done.stdout.strip().splitlines()[-1])
                    row["load_1min"] = round(load, 2)
                    writer.writerow(row)
                    f.flush()
                    print(row, flush=True)


if __name__ == "__main__":
    main()
