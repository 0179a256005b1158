// shequctl: the command line for shequd. See `shequctl --help` and docs/integration.md.

#include "clients/cli/cli.h"

int main(int argc, char** argv) { return shequ::cli::Main(argc, argv); }
