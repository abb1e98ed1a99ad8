return Kimi.Console.ConsoleProgram.Run(args, Console.Out, Console.Error, Console.In);
