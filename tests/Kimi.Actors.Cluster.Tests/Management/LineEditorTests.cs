using Kimi.Console;
using Kimi.Console.Interactive;

namespace Kimi.Actors.Cluster.Tests.Management;

/// <summary>
/// The interactive console's line editing as pure functions: keys typed into <see cref="LineEditor"/>, Up/Down through
/// <see cref="History"/>, Tab through <see cref="Completion"/> with the console's own words; and redirected input read as
/// plain lines.
/// </summary>
public class LineEditorTests
{
    private static readonly CompletionWords Words = ConsoleProgram.Completions;

    private static ConsoleKeyInfo Key(ConsoleKey key, bool control = false) => new('\0', key, shift: false, alt: false, control);

    private static ConsoleKeyInfo Char(char c) => new(c, ConsoleKey.NoName, shift: false, alt: false, control: false);

    /// <summary>Types <paramref name="text"/> then the keys; returns the state and the last outcome.</summary>
    private static (EditorState State, EditOutcome Outcome) Type(EditorState state, string text, params ConsoleKeyInfo[] keys)
    {
        var outcome = EditOutcome.Editing;
        foreach (var key in text.Select(Char).Concat(keys)) (state, outcome) = LineEditor.Apply(state, key, Words);
        return (state, outcome);
    }

    [Fact]
    public void Typed_lines_are_submitted_and_up_and_down_walk_the_history_keeping_the_draft()
    {
        var (s, outcome) = Type(EditorState.Start(History.Empty), "get tau", Key(ConsoleKey.Enter));
        Assert.Equal((EditOutcome.Submitted, "get tau", ""), (outcome, s.Submitted, s.Text));
        (s, _) = Type(s, "status --json", Key(ConsoleKey.Enter));
        // A blank line and a repeat of the last line are not kept.
        (s, _) = Type(s, "   ", Key(ConsoleKey.Enter));
        (s, _) = Type(s, "status --json", Key(ConsoleKey.Enter));
        Assert.Equal(["get tau", "status --json"], s.History.Entries);

        (s, _) = Type(s, "set t", Key(ConsoleKey.UpArrow));
        Assert.Equal(("status --json", 13), (s.Text, s.Cursor));
        (s, _) = Type(s, "", Key(ConsoleKey.UpArrow));
        Assert.Equal("get tau", s.Text);
        (s, _) = Type(s, "", Key(ConsoleKey.UpArrow)); // the oldest: stays
        Assert.Equal("get tau", s.Text);
        (s, _) = Type(s, "", Key(ConsoleKey.DownArrow), Key(ConsoleKey.DownArrow));
        Assert.Equal(("set t", 5), (s.Text, s.Cursor)); // the draft again
        (s, _) = Type(s, "", Key(ConsoleKey.DownArrow));
        Assert.Equal("set t", s.Text);

        // An older line, edited and submitted, is a new entry at the end.
        (s, _) = Type(s, "", Key(ConsoleKey.UpArrow), Key(ConsoleKey.UpArrow), Key(ConsoleKey.Backspace), Key(ConsoleKey.Backspace),
            Key(ConsoleKey.Backspace));
        (s, outcome) = Type(s, "top-p", Key(ConsoleKey.Enter));
        Assert.Equal((EditOutcome.Submitted, "get top-p"), (outcome, s.Submitted));
        Assert.Equal(["get tau", "status --json", "get top-p"], s.History.Entries);
        Assert.Equal(3, s.History.Position);
    }

    [Fact]
    public void Cursor_moves_insert_and_cut_where_the_cursor_is()
    {
        var (s, _) = Type(EditorState.Start(History.Empty), "set 0.5", Key(ConsoleKey.LeftArrow), Key(ConsoleKey.LeftArrow), Key(ConsoleKey.LeftArrow));
        (s, _) = Type(s, "tau ");
        Assert.Equal(("set tau 0.5", 8), (s.Text, s.Cursor));
        (s, _) = Type(s, "", Key(ConsoleKey.Home), Key(ConsoleKey.Delete));
        Assert.Equal(("et tau 0.5", 0), (s.Text, s.Cursor));
        (s, _) = Type(s, "g", Key(ConsoleKey.E, control: true));
        Assert.Equal(("get tau 0.5", 11), (s.Text, s.Cursor));
        (s, _) = Type(s, "", Key(ConsoleKey.W, control: true));
        Assert.Equal(("get tau ", 8), (s.Text, s.Cursor));
        (s, _) = Type(s, "", Key(ConsoleKey.A, control: true), Key(ConsoleKey.RightArrow), Key(ConsoleKey.K, control: true));
        Assert.Equal(("g", 1), (s.Text, s.Cursor));
        (s, _) = Type(s, "", Key(ConsoleKey.U, control: true));
        Assert.Equal(("", 0), (s.Text, s.Cursor));
        // Backspace at the start and Delete at the end change nothing.
        (s, _) = Type(s, "", Key(ConsoleKey.Backspace), Key(ConsoleKey.Delete));
        Assert.Equal(("", 0), (s.Text, s.Cursor));
    }

    [Fact]
    public void Ctrl_C_drops_the_line_and_Ctrl_D_on_an_empty_line_ends_the_input()
    {
        var (s, outcome) = Type(EditorState.Start(History.Empty.Add("runs")), "pau", Key(ConsoleKey.C, control: true));
        Assert.Equal((EditOutcome.Cancelled, "", (string?)null), (outcome, s.Text, s.Submitted));
        Assert.Equal(["runs"], s.History.Entries);
        (s, outcome) = Type(s, "x", Key(ConsoleKey.LeftArrow), Key(ConsoleKey.D, control: true));
        Assert.Equal((EditOutcome.Editing, ""), (outcome, s.Text)); // not empty: Ctrl-D deletes under the cursor
        (_, outcome) = Type(s, "", Key(ConsoleKey.D, control: true));
        Assert.Equal(EditOutcome.EndOfInput, outcome);
    }

    [Fact]
    public void Tab_completes_commands_hyperparameter_names_and_options_and_lists_what_it_cannot_decide()
    {
        Assert.Equal(new Completed("status ", 7, []), Complete("sta"));
        // pause, prompts: nothing in common beyond "p", so both are listed and the line stays.
        var p = Complete("p");
        Assert.Equal(("p", 1), (p.Text, p.Cursor));
        Assert.Equal(["pause", "prompts"], p.Candidates);
        // fau -> faults; i -> inject (the new commands complete too).
        Assert.Equal("faults ", Complete("fau").Text);
        Assert.Equal("inject ", Complete("inj").Text);
        // After set/get/history: hyperparameter names, extended to the common prefix first.
        Assert.Equal("set tau ", Complete("set ta").Text);
        Assert.Equal("get length-penalty-w", Complete("get len").Text);
        Assert.Equal(["length-penalty-weight", "length-penalty-warmup"], Complete("get length-penalty-w").Candidates);
        Assert.Equal("history learning-rate ", Complete("history lea").Text);
        Assert.Equal("help watch ", Complete("help wa").Text);
        Assert.Equal("status --json ", Complete("status --j").Text);
        // Nothing to complete: the line as it was.
        Assert.Equal(new Completed("set tau 0.", 10, []), Complete("set tau 0."));
        Assert.Equal(new Completed("xyz", 3, []), Complete("xyz"));
        // In the middle of a line: the word before the cursor, the rest kept.
        var middle = Completion.Complete("get te --json", 6, Words);
        Assert.Equal(("get temperature --json", 15), (middle.Text, middle.Cursor));

        // Through the editor: Tab puts candidates on the state for the screen to show.
        var (s, _) = Type(EditorState.Start(History.Empty), "re", Key(ConsoleKey.Tab));
        Assert.Equal(("resume ", 7, 0), (s.Text, s.Cursor, s.Candidates.Count));
        (s, _) = Type(EditorState.Start(History.Empty), "s", Key(ConsoleKey.Tab));
        Assert.Equal(["status", "stop", "set"], s.Candidates);
        (s, _) = Type(s, "e");
        Assert.Empty(s.Candidates);
    }

    private static Completed Complete(string text) => Completion.Complete(text, text.Length, Words);

    [Fact]
    public void Redirected_input_is_read_as_plain_lines_with_the_prompt_on_its_writer()
    {
        var prompts = new StringWriter();
        var reader = new PlainLineReader(new StringReader("status --json\n\nexit\n"), prompts);
        Assert.Equal(["status --json", "", "exit", null], Enumerable.Range(0, 4).Select(_ => reader.ReadLine("kimi> ")));
        Assert.Equal(string.Concat(Enumerable.Repeat("kimi> ", 4)), prompts.ToString());
    }
}
