using Kimi.Bench;

// Dispatch on the first argument; each subcommand parses the rest itself.
if (args.Length > 0 && args[0] is "-h" or "--help" or "help")
{
    Console.Out.Write(BenchCommands.Usage());
    return 0;
}
if (args.Length == 0)
{
    Console.Error.Write(BenchCommands.Usage());
    return 2;
}

var command = BenchCommands.Find(args[0]);
if (command is null)
{
    Console.Error.WriteLine($"Unknown benchmark '{args[0]}'.");
    Console.Error.Write(BenchCommands.Usage());
    return 2;
}

try
{
    return command.Run(args[1..]);
}
catch (UsageException e)
{
    Console.Error.WriteLine($"{command.Name}: {e.Message}");
    Console.Error.WriteLine($"usage: kimi-bench {command.Name} {command.Arguments}");
    return 2;
}
