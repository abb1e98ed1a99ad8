using Akka.Configuration;
using Kimi.Actors.Cluster.WeightSync;
using Kimi.Actors.Cluster.Workers;

namespace Kimi.Actors.Cluster.Tests.Workers;

public sealed class WorkerSettingsTests
{
    private static WorkerSettings Read(string hocon) => WorkerSettings.FromConfig(ConfigurationFactory.ParseString(hocon));

    [Fact]
    public void Defaults_come_from_the_embedded_workers_conf()
    {
        var s = WorkerSettings.FromConfig(ConfigurationFactory.Empty);
        Assert.Equal(WorkerMode.Process, s.Mode);
        Assert.Equal(new BackoffSettings(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30), 0.2), s.Backoff);
        Assert.Equal(new RestartBudget(5, TimeSpan.FromMinutes(5)), s.RestartBudget);
        Assert.Equal(["cpu"], s.Devices);
        Assert.Equal(32L << 20, s.MaximumFrameSize);
        Assert.Equal(WeightTransport.SharedFile, s.Weights.Transport);
        Assert.Null(s.WorkerDll);
    }

    [Fact]
    public void Keys_override_and_bad_values_name_the_key()
    {
        var s = Read("kimi.workers { mode = in-process, weights.transport = memory, devices = [\"cuda:0\", \"cuda:1\"], slots-per-device = 3, backoff.min = 1s }");
        Assert.Equal((WorkerMode.InProcess, WeightTransport.Memory, 3), (s.Mode, s.Weights.Transport, s.SlotsPerDevice));
        Assert.Equal(["cuda:0", "cuda:1"], s.Devices);
        Assert.Equal(TimeSpan.FromSeconds(1), s.Backoff.Min);

        Assert.StartsWith("kimi.workers.mode = threads: expected process or in-process",
            Assert.Throws<ArgumentException>(() => Read("kimi.workers.mode = threads")).Message);
        Assert.StartsWith("kimi.workers.devices: 'gpu0' is not a device",
            Assert.Throws<ArgumentException>(() => Read("kimi.workers.devices = [gpu0]")).Message);
        Assert.StartsWith("kimi.workers.weights.transport = memory: worker processes cannot read",
            Assert.Throws<ArgumentException>(() => Read("kimi.workers.weights.transport = memory")).Message);
        Assert.StartsWith("kimi.workers.backoff.max",
            Assert.Throws<ArgumentException>(() => Read("kimi.workers { backoff.min = 10s, backoff.max = 1s }")).Message);
    }

    [Fact]
    public void Backoff_doubles_per_failure_up_to_the_maximum()
    {
        var b = new BackoffSettings(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(500), 0);
        Assert.Equal([100.0, 200, 400, 500, 500], Enumerable.Range(1, 5).Select(n => b.Delay(n, new Random(1)).TotalMilliseconds));
        var jitter = new BackoffSettings(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(500), 0.5).Delay(1, new Random(1));
        Assert.InRange(jitter.TotalMilliseconds, 100, 150);
    }
}
