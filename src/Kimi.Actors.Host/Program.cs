using Kimi.Actors.CommandLine;
using Kimi.Actors.Host.Cli;

return KimiCli.Run(args);
