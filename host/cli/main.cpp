// The amf command-line tool: dispatch, and the one place exceptions become exit codes.
#include <iostream>
#include <vector>

#include "amf/error.hpp"
#include "cli/commands.hpp"

int main(int argc, char** argv) {
  using namespace amf::cli;
  CLI::App app{"amf: active multi-task fine-tuning (which tasks to demonstrate next)"};
  app.require_subcommand(1);
  app.footer("Exit codes: 0 ok, 1 runtime failure, 2 bad arguments/config/input, 3 plotting failed.");
  const std::vector<std::pair<CLI::App*, Command>> commands = [&] {
    std::vector<std::pair<CLI::App*, Command>> c;
    std::vector<Command (*)(CLI::App&)> adders{add_info, add_gp_study, add_run, add_criterion_gain, add_select, add_bench, add_sweep};
#ifdef AMF_CLI_TORCH
    adders.push_back(add_nn_study);
#endif
#ifdef AMF_CLI_RENDER
    adders.push_back(add_render);
#endif
    for (auto add : adders) {
      Command cmd = add(app);
      c.emplace_back(app.get_subcommands({}).back(), std::move(cmd));
    }
    return c;
  }();
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints the message
    return kExitUsage;
  }
  try {
    for (const auto& [sub, run] : commands)
      if (sub->parsed()) return run();
    return kExitUsage;
  } catch (const amf::InvalidArgument& e) {
    std::cerr << "amf: " << e.what() << "\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "amf: " << e.what() << "\n";
    return kExitRuntime;
  }
}
