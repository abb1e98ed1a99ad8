using Kimi.Console;
using Kimi.Console.Interactive;

// On a terminal the interactive mode edits lines itself (history, Tab completion); redirected input is read as plain lines.
ILineReader lines = Console.IsInputRedirected || Console.IsErrorRedirected
    ? new PlainLineReader(Console.In, Console.Error)
    : new TerminalLineReader(Console.Error, ConsoleProgram.Completions);
return ConsoleProgram.Run(args, Console.Out, Console.Error, lines);
