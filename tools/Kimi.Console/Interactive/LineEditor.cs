namespace Kimi.Console.Interactive;

/// <summary>What one key did to the line being typed.</summary>
public enum EditOutcome
{
    /// <summary>Still typing.</summary>
    Editing,
    /// <summary>Enter: <see cref="EditorState.Submitted"/> is the line.</summary>
    Submitted,
    /// <summary>Ctrl-C: the line was dropped (a new prompt follows).</summary>
    Cancelled,
    /// <summary>Ctrl-D on an empty line: no more input.</summary>
    EndOfInput,
}

/// <summary>The line (text, cursor), the history, what Tab last listed, and the line Enter submitted.</summary>
public sealed record EditorState(string Text, int Cursor, History History, IReadOnlyList<string> Candidates, string? Submitted = null)
{
    public static EditorState Start(History history) => new("", 0, history, []);
}

/// <summary>
/// The interactive mode's line editing as a pure function of the state and one key: insert and delete, cursor moves
/// (arrows, Home/End, Ctrl-A/E), Ctrl-U/Ctrl-K/Ctrl-W to cut, Up/Down through the history, Tab to complete.
/// </summary>
public static class LineEditor
{
    public static (EditorState State, EditOutcome Outcome) Apply(EditorState s, ConsoleKeyInfo key, CompletionWords words)
    {
        bool control = (key.Modifiers & ConsoleModifiers.Control) != 0;
        var cleared = s with { Candidates = [], Submitted = null };
        switch (key.Key)
        {
            case ConsoleKey.Enter:
                return (EditorState.Start(s.History.Add(s.Text)) with { Submitted = s.Text }, EditOutcome.Submitted);
            case ConsoleKey.C when control:
                return (EditorState.Start(s.History with { Position = s.History.Entries.Count, Draft = "" }), EditOutcome.Cancelled);
            case ConsoleKey.D when control:
                return s.Text.Length == 0 ? (cleared, EditOutcome.EndOfInput) : (Delete(cleared), EditOutcome.Editing);
            case ConsoleKey.Tab:
                var done = Completion.Complete(s.Text, s.Cursor, words);
                return (cleared with { Text = done.Text, Cursor = done.Cursor, Candidates = done.Candidates }, EditOutcome.Editing);
            case ConsoleKey.UpArrow:
            case ConsoleKey.P when control:
                return (s.History.Previous(s.Text) is { } up ? Show(cleared, up.History, up.Line) : cleared, EditOutcome.Editing);
            case ConsoleKey.DownArrow:
            case ConsoleKey.N when control:
                return (s.History.Next() is { } down ? Show(cleared, down.History, down.Line) : cleared, EditOutcome.Editing);
            case ConsoleKey.LeftArrow:
            case ConsoleKey.B when control:
                return (cleared with { Cursor = Math.Max(0, s.Cursor - 1) }, EditOutcome.Editing);
            case ConsoleKey.RightArrow:
            case ConsoleKey.F when control:
                return (cleared with { Cursor = Math.Min(s.Text.Length, s.Cursor + 1) }, EditOutcome.Editing);
            case ConsoleKey.Home:
            case ConsoleKey.A when control:
                return (cleared with { Cursor = 0 }, EditOutcome.Editing);
            case ConsoleKey.End:
            case ConsoleKey.E when control:
                return (cleared with { Cursor = s.Text.Length }, EditOutcome.Editing);
            case ConsoleKey.Backspace:
                return (s.Cursor == 0 ? cleared : cleared with { Text = s.Text.Remove(s.Cursor - 1, 1), Cursor = s.Cursor - 1 }, EditOutcome.Editing);
            case ConsoleKey.Delete:
                return (Delete(cleared), EditOutcome.Editing);
            case ConsoleKey.U when control:
                return (cleared with { Text = s.Text[s.Cursor..], Cursor = 0 }, EditOutcome.Editing);
            case ConsoleKey.K when control:
                return (cleared with { Text = s.Text[..s.Cursor] }, EditOutcome.Editing);
            case ConsoleKey.W when control:
                int start = s.Cursor;
                while (start > 0 && s.Text[start - 1] == ' ') start--;
                while (start > 0 && s.Text[start - 1] != ' ') start--;
                return (cleared with { Text = s.Text.Remove(start, s.Cursor - start), Cursor = start }, EditOutcome.Editing);
            case ConsoleKey.Escape:
                return (cleared with { Text = "", Cursor = 0 }, EditOutcome.Editing);
        }
        if (control || char.IsControl(key.KeyChar)) return (s, EditOutcome.Editing);
        return (cleared with { Text = s.Text.Insert(s.Cursor, key.KeyChar.ToString()), Cursor = s.Cursor + 1 }, EditOutcome.Editing);
    }

    private static EditorState Delete(EditorState s) => s.Cursor < s.Text.Length ? s with { Text = s.Text.Remove(s.Cursor, 1) } : s;

    private static EditorState Show(EditorState s, History history, string line) => s with { History = history, Text = line, Cursor = line.Length };
}
