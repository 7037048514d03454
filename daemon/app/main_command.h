#pragma once

namespace apig_certd::app {

// Parses the command line, sets up logging, runs the command and returns the exit code.
int main_command(int argc, char** argv);

}  // namespace apig_certd::app
