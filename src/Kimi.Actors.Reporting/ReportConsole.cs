using Spectre.Console;
using Spectre.Console.Rendering;

namespace Kimi.Actors.Reporting;

/// <summary>
/// A Spectre.Console console over one of the process's output streams. Interactive (colour, live redraws) only when
/// the writer is the process's own stdout or stderr and that stream is a terminal; otherwise (CI, tests, pipes, files)
/// it writes plain lines with no ANSI escapes, and tables with Markdown borders that read well in a log.
/// </summary>
public sealed class ReportConsole
{
    private ReportConsole(IAnsiConsole console, bool interactive) => (Console, Interactive) = (console, interactive);

    public IAnsiConsole Console { get; }

    public bool Interactive { get; }

    /// <param name="interactive">Forces the mode; by default it is <see cref="IsTerminal"/>.</param>
    public static ReportConsole For(TextWriter writer, bool? interactive = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        bool live = interactive ?? IsTerminal(writer);
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            // A terminal (TERM=dumb excluded above) reads ANSI; a forced live mode gets it too, so its redraws are real.
            Ansi = live ? AnsiSupport.Yes : AnsiSupport.No,
            ColorSystem = live ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = live ? InteractionSupport.Yes : InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        if (!live) console.Profile.Width = PlainWidth;
        return new ReportConsole(console, live);
    }

    /// <summary>Wide enough for a table of a few columns; only plain mode uses it (a terminal has its own width).</summary>
    private const int PlainWidth = 120;

    /// <summary>Whether <paramref name="writer"/> is this process's stdout or stderr and that stream is a terminal.</summary>
    public static bool IsTerminal(TextWriter writer)
    {
        if (Environment.GetEnvironmentVariable("TERM") == "dumb") return false;
        if (ReferenceEquals(writer, System.Console.Out)) return !System.Console.IsOutputRedirected;
        if (ReferenceEquals(writer, System.Console.Error)) return !System.Console.IsErrorRedirected;
        return false;
    }

    /// <summary>A table with these columns, the first left-aligned and the others right-aligned (numbers), bordered for the mode.</summary>
    public Table NewTable(params string[] columns)
    {
        var table = new Table().Border(Interactive ? TableBorder.Rounded : TableBorder.Markdown);
        for (int i = 0; i < columns.Length; i++)
            table.AddColumn(new TableColumn(Markup.Escape(columns[i])) { Alignment = i == 0 ? Justify.Left : Justify.Right });
        return table;
    }

    public void Write(IRenderable renderable) => Console.Write(renderable);

    /// <summary>One line of plain text (never read as markup).</summary>
    public void WriteLine(string text) => Console.WriteLine(text);
}

public static class TableRows
{
    /// <summary>Adds a row of plain text cells (never read as Spectre markup, so "[x]" prints as it is).</summary>
    public static Table AddTextRow(this Table table, params string[] cells) => table.AddRow(cells.Select(c => new Text(c)));
}
