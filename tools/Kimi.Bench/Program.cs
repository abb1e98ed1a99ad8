using Kimi.Bench;

return BenchCommands.Program.Run(args, Console.Out, Console.Error);
