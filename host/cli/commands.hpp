#pragma once
// The amf subcommands. Each registers its options on the app and returns the function that runs
// it once the command line is parsed. Exit codes (stable, for scripts): 0 success (and --help);
// 1 runtime failure; 2 bad arguments, configuration or input data; 3 plotting failed (the CSV and
// JSON results are written all the same).
#include <CLI/CLI.hpp>
#include <functional>

namespace amf {
namespace cli {

constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;
constexpr int kExitPlot = 3;

using Command = std::function<int()>;

Command add_info(CLI::App& app);
Command add_gp_study(CLI::App& app);
Command add_run(CLI::App& app);
Command add_criterion_gain(CLI::App& app);
Command add_select(CLI::App& app);
Command add_bench(CLI::App& app);
Command add_sweep(CLI::App& app);
#ifdef AMF_CLI_TORCH
Command add_nn_study(CLI::App& app);
#endif
#ifdef AMF_CLI_RENDER
Command add_render(CLI::App& app);
#endif

// Draws the PNG/SVG plots of a study results directory with tools/<script>; kExitPlot when the
// plot script fails.
int plot_study(const std::string& dir, const std::string& script = "plot_gp_study.py");
// Where plot_study finds `script` (empty when nowhere).
std::string find_plot_script(const std::string& script);

}  // namespace cli
}  // namespace amf
