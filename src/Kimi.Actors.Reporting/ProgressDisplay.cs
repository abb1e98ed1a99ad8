using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Kimi.Actors.Reporting;

/// <summary>
/// Progress of one phase at a time (warm-up SFT steps, RL iterations...). Interactive: a Spectre.Console live bar with
/// the count, the time left and a detail line, with messages printed above it. Plain (see <see cref="ReportConsole"/>):
/// one line at the first and last step, on request, and otherwise at most one per <c>plainInterval</c>.
/// Safe to call from one thread at a time (the observer's); the live bar redraws on its own thread.
/// </summary>
public sealed class ProgressDisplay : IDisposable
{
    private static readonly TimeSpan LiveStartTimeout = TimeSpan.FromSeconds(10);

    private readonly ReportConsole _console;
    private readonly TimeSpan _plainInterval;
    private string _name = "";
    private int _total;
    private DateTime _phaseStart = DateTime.UtcNow, _lastLine = DateTime.MinValue;
    private Live? _live;

    public ProgressDisplay(ReportConsole console, TimeSpan? plainInterval = null)
    {
        _console = console;
        _plainInterval = plainInterval ?? TimeSpan.FromSeconds(10);
    }

    public bool Interactive => _console.Interactive;

    /// <summary>Ends the current phase and starts one of <paramref name="total"/> steps, announced by <paramref name="heading"/>.</summary>
    public void Begin(string name, string heading, int total)
    {
        End();
        (_name, _total, _phaseStart, _lastLine) = (name, total, DateTime.UtcNow, DateTime.MinValue);
        _console.WriteLine(heading);
        if (!Interactive) return;
        try
        {
            _live = Live.Start(_console.Console, name, total);
        }
        catch (Exception e) when (e is TimeoutException or AggregateException or InvalidOperationException)
        {
            // Progress is never worth a failed run: this phase goes on in plain lines.
            _console.WriteLine($"(live progress unavailable: {e.GetBaseException().Message})");
        }
    }

    /// <summary>
    /// <paramref name="done"/> of the phase's steps are done; <paramref name="detail"/> describes the latest.
    /// <paramref name="force"/> prints a plain line even within the interval (e.g. a step with a held-out result).
    /// The live bar ends at the last step, so that what follows (evaluations, the final table on stdout) is never
    /// redrawn over; steps beyond the announced total are plain lines.
    /// </summary>
    public void Update(int done, string detail, bool force = false)
    {
        if (_live is { } live)
        {
            live.Update(done, detail);
            if (done >= _total) End();
            return;
        }
        if (!(force || done == 1 || done >= _total || DateTime.UtcNow - _lastLine >= _plainInterval)) return;
        var elapsed = DateTime.UtcNow - _phaseStart;
        var eta = done > 0 && _total > done ? TimeSpan.FromSeconds(elapsed.TotalSeconds / done * (_total - done)) : TimeSpan.Zero;
        int percent = _total > 0 ? (int)Math.Round(100.0 * Math.Min(done, _total) / _total) : 100;
        _console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{_name} {done}/{_total} ({percent}%)  {detail}  eta {eta:mm\\:ss}"));
        _lastLine = DateTime.UtcNow;
    }

    /// <summary>A line of its own: above the live bar, or between the plain progress lines.</summary>
    public void WriteLine(string text) => _console.WriteLine(text);

    /// <summary>Stops the live bar where it stands (a finished phase, or a run that stopped early).</summary>
    public void End()
    {
        _live?.Stop();
        _live = null;
    }

    public void Dispose() => End();

    /// <summary>One running Spectre progress display and its task; Spectre's Start blocks, so it runs on its own thread.</summary>
    private sealed class Live
    {
        private const string DoneKey = "done";

        private readonly TaskCompletionSource _finish = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private Task _display = Task.CompletedTask;
        private ProgressTask _task = null!;
        private volatile string _detail = "";

        public static Live Start(IAnsiConsole console, string name, int total)
        {
            var live = new Live();
            var started = new TaskCompletionSource<ProgressTask>(TaskCreationOptions.RunContinuationsAsynchronously);
            live._display = Task.Run(() => console.Progress()
                .AutoClear(false).HideCompleted(false)
                .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new CountColumn(),
                    new RemainingTimeColumn(), new DetailColumn(live))
                .StartAsync(async context =>
                {
                    started.TrySetResult(context.AddTask(Markup.Escape(name), maxValue: Math.Max(1, total)));
                    await live._finish.Task;
                }));
            live._display.ContinueWith(t => started.TrySetException(t.Exception?.InnerExceptions ?? [new InvalidOperationException("the progress display ended before it started")]),
                TaskContinuationOptions.NotOnRanToCompletion);
            if (!started.Task.Wait(LiveStartTimeout))
                throw new TimeoutException($"the console progress display did not start within {LiveStartTimeout.TotalSeconds} s");
            live._task = started.Task.Result;
            live._task.State.Update<int>(DoneKey, _ => 0);
            return live;
        }

        public void Update(int done, string detail)
        {
            _task.Value = done;
            _task.State.Update<int>(DoneKey, _ => done);
            _detail = detail;
        }

        public void Stop()
        {
            _task.StopTask();
            _finish.TrySetResult();
            // The display draws its last frame and returns; a console that is gone must not hold the run.
            _display.Wait(TimeSpan.FromSeconds(5));
        }

        private sealed class CountColumn : ProgressColumn
        {
            public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
                new Text(string.Create(CultureInfo.InvariantCulture, $"{task.State.Get<int>(DoneKey)}/{task.MaxValue:0}"));
        }

        private sealed class DetailColumn(Live live) : ProgressColumn
        {
            protected override bool NoWrap => true;

            public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
                new Text(live._detail, new Style(Color.Grey));
        }
    }
}
