using Kimi.Actors.Host.Tests.Support;

namespace Kimi.Actors.Host.Tests;

/// <summary>
/// A run that succeeds ends quietly: its worker processes are let go in order (standard input closed, their systems
/// terminated) before the node shuts down, so no expected disassociation is reported as an error.
/// </summary>
public sealed class CleanShutdownTests : IDisposable
{
    private readonly TempFolder _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public void A_successful_run_with_worker_processes_prints_no_error_and_no_stack_trace()
    {
        using var kimi = KimiProcess.Start(["train", "--config", TinyRun.WriteConfig(_tmp.Path), "--out", _tmp.File("run"),
            "--set", "kimi.workers.mode=process", .. CliRunner.StorageIn(_tmp.Path)]);
        Assert.Equal(0, kimi.WaitForExit(TimeSpan.FromMinutes(4)));
        string all = kimi.Stdout + kimi.Stderr;
        Assert.Contains("written to", kimi.Stdout);
        Assert.DoesNotContain("[ERROR]", all);
        Assert.DoesNotContain("[WARNING]", all);
        Assert.DoesNotContain("   at ", all);
        Assert.DoesNotContain("Exception", all);
    }
}
