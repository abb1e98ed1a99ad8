namespace Kimi.Console.Interactive;

/// <summary>Where the interactive mode gets its lines: null at the end of input.</summary>
public interface ILineReader
{
    string? ReadLine(string prompt);
}

/// <summary>Plain lines (standard input redirected: scripts, pipes, tests): the prompt, then a line as it comes.</summary>
public sealed class PlainLineReader(TextReader input, TextWriter prompt) : ILineReader
{
    public string? ReadLine(string text)
    {
        prompt.Write(text);
        return input.ReadLine();
    }
}

/// <summary>
/// A terminal: keys one by one through <see cref="LineEditor"/> (history, Tab completion), the line redrawn after each
/// with ANSI escapes on <paramref name="screen"/>. Ctrl-C is a key while a line is typed, and a signal again once the line
/// runs (so it still ends <c>watch</c>).
/// </summary>
public sealed class TerminalLineReader(TextWriter screen, CompletionWords words) : ILineReader
{
    private History _history = History.Empty;

    public string? ReadLine(string prompt)
    {
        bool treated = System.Console.TreatControlCAsInput;
        System.Console.TreatControlCAsInput = true;
        try
        {
            var state = EditorState.Start(_history);
            screen.Write(prompt);
            screen.Flush();
            while (true)
            {
                var (next, outcome) = LineEditor.Apply(state, System.Console.ReadKey(intercept: true), words);
                state = next;
                _history = state.History;
                switch (outcome)
                {
                    case EditOutcome.Submitted:
                        screen.WriteLine();
                        return state.Submitted;
                    case EditOutcome.EndOfInput:
                        screen.WriteLine();
                        return null;
                    case EditOutcome.Cancelled:
                        screen.WriteLine("^C");
                        screen.Write(prompt);
                        break;
                    default:
                        if (state.Candidates.Count > 0) screen.Write(Environment.NewLine + string.Join("  ", state.Candidates) + Environment.NewLine);
                        Redraw(prompt, state);
                        break;
                }
                screen.Flush();
            }
        }
        finally { System.Console.TreatControlCAsInput = treated; }
    }

    /// <summary>Back to the line's start, the prompt and text, erase what an older, longer text left, the cursor to its place.</summary>
    private void Redraw(string prompt, EditorState s)
    {
        screen.Write("\r" + prompt + s.Text + "\u001b[K");
        int back = s.Text.Length - s.Cursor;
        if (back > 0) screen.Write($"\u001b[{back}D");
    }
}
