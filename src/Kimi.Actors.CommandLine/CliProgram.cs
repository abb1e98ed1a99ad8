using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using Kimi.Actors.Cluster.Configuration;

namespace Kimi.Actors.CommandLine;

/// <summary>
/// A program's command line (System.CommandLine): its commands, generated <c>--help</c> for it and each command, and
/// the one place where what the user got wrong — a parse error, a <see cref="UsageException"/> or an input error of a
/// lower layer (<see cref="IsUserError"/>) — becomes one line <c>NAME: error: ...</c> on stderr and exit code 2, with no
/// stack trace. <c>kimi</c> and <c>Kimi.Bench</c> both run through it.
/// </summary>
/// <param name="Name">The program as the user types it; prefixes every error line and appears in help.</param>
/// <param name="Commands">
/// The commands, each a factory of its <see cref="Command"/> (options, help text, action); a new command is one more
/// entry. Built afresh for every run, so a parse never sees another's state.
/// </param>
public sealed record CliProgram(string Name, string Description, IReadOnlyList<Func<Command>> Commands)
{
    public const int ExitOk = 0, ExitFailed = 1, ExitUserError = 2, ExitInterrupted = 130, ExitTerminated = 143;

    /// <summary>Text after the generated help of the program itself (not of its commands).</summary>
    public string? Notes { get; init; }

    /// <summary>Exceptions of lower layers that report bad input (configuration, files), besides <see cref="UsageException"/>.</summary>
    public Func<Exception, bool> IsUserError { get; init; } = _ => false;

    /// <summary>
    /// Options of the program itself that every command takes too, before or after its name (<c>kimi-console --contact H:P
    /// status</c>); commands read them by name. Built afresh for every run, like the commands.
    /// </summary>
    public IReadOnlyList<Func<Option>> GlobalOptions { get; init; } = [];

    /// <summary>What the program does without a command (kimi-console: the interactive mode); null: help and a usage error.</summary>
    public Func<ParseResult, int>? WithoutCommand { get; init; }

    /// <summary>Parses <paramref name="args"/>, runs the command and returns the exit code.</summary>
    public int Run(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr)
    {
        // "NAME help [COMMAND]", as kimi and Kimi.Bench always took it, is "NAME [COMMAND] --help".
        if (args.Count > 0 && args[0] == "help") args = [.. args.Skip(1), "--help"];
        var root = Root();
        // No response files: a value that starts with '@' is a value.
        var parsed = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        try
        {
            if (parsed.Action is not HelpWithNotes && Error(parsed) is { } error) throw new UsageException(error);
            return parsed.Invoke(new InvocationConfiguration
            {
                Output = stdout, Error = stderr,
                // Exceptions reach the catch below (a stack trace only for what is not the user's); signals are the
                // commands' own business (train stops its node on SIGINT/SIGTERM and exits 130/143).
                EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null,
            });
        }
        catch (Exception e) when (e is UsageException || IsUserError(e))
        {
            stderr.WriteLine($"{Name}: error: {e.Message}");
            return ExitUserError;
        }
        catch (OperationCanceledException)
        {
            stderr.WriteLine($"{Name}: cancelled");
            return ExitInterrupted;
        }
    }

    private Command Root()
    {
        var root = new Command(Name, Description);
        var help = new HelpOption();
        var generated = (HelpAction)help.Action!;
        generated.MaxWidth = 110;
        var helpWithNotes = new HelpWithNotes(generated, root, Notes);
        help.Action = helpWithNotes;
        root.Options.Add(help);
        foreach (var create in GlobalOptions)
        {
            var option = create();
            option.Recursive = true;
            root.Options.Add(option);
        }
        foreach (var create in Commands) root.Subcommands.Add(create());
        root.SetAction(parsed => WithoutCommand is { } run ? run(parsed) : NoCommand(parsed, helpWithNotes, root));
        return root;
    }

    /// <summary>The program alone: its help on stdout, and the user error that a command is missing.</summary>
    private int NoCommand(ParseResult parsed, HelpWithNotes help, Command root)
    {
        help.Invoke(parsed);
        throw new UsageException($"no command given (commands: {string.Join(", ", root.Subcommands.Select(c => c.Name))}; see {Name} --help)");
    }

    /// <summary>The one line that describes what is wrong with the command line, or null when nothing is.</summary>
    private string? Error(ParseResult parsed)
    {
        var command = parsed.CommandResult;
        var path = string.Join(' ', Path(command).Skip(1));
        var where = path.Length == 0 ? "" : path + ": ";
        var helpHint = $"see {string.Join(' ', Path(command))} --help";

        // The library reports a missing required option as an error of that option; said here in the house style.
        if (command.Command.Options.FirstOrDefault(o => o.Required && parsed.GetResult(o) is null or { Implicit: true }) is { } missing)
            return where + $"{missing.Name} {missing.HelpName} is required ({helpHint})";
        // The options' own errors name the option and the value (CliOptions).
        if (parsed.Errors.FirstOrDefault(e => e.SymbolResult is OptionResult or ArgumentResult) is { } optionError)
            return where + optionError.Message;
        if (parsed.UnmatchedTokens is [var token, ..])
        {
            var c = command.Command;
            if (token.StartsWith('-'))
                return where + $"unknown option '{token}'{Suggest(token, c.Options.SelectMany(o => o.Aliases.Prepend(o.Name)))} ({helpHint})";
            if (c.Subcommands.Count > 0)
                return where + $"unknown command '{token}'{Suggest(token, c.Subcommands.Select(s => s.Name))} " +
                    $"(commands: {string.Join(", ", c.Subcommands.Select(s => s.Name))}; {helpHint})";
            return where + $"unexpected argument '{token}' ({helpHint})";
        }
        return parsed.Errors.Count > 0 ? where + parsed.Errors[0].Message : null;
    }

    private static string Suggest(string token, IEnumerable<string> known) =>
        ConfigReader.Nearest(token, known, maxDistance: 2) is { } near ? $" (did you mean {near}?)" : "";

    private static IEnumerable<string> Path(CommandResult command)
    {
        var names = new List<string>();
        for (SymbolResult? s = command; s is not null; s = s.Parent)
            if (s is CommandResult c) names.Add(c.Command.Name);
        names.Reverse();
        return names;
    }

    /// <summary>The generated help, then <see cref="Notes"/> when it is the program's own help.</summary>
    private sealed class HelpWithNotes(HelpAction generated, Command root, string? notes) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            int code = generated.Invoke(parseResult);
            if (notes is not null && parseResult.CommandResult.Command == root) parseResult.InvocationConfiguration.Output.WriteLine(notes);
            return code;
        }
    }
}
