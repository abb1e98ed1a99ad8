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
    public void The_folder_and_http_transports_read_their_keys_and_a_worker_process_gets_its_nodes_server()
    {
        var folder = Read("kimi.workers.weights { transport = folder, folder = \"/mnt/shared/kimi\" }");
        Assert.Equal((WeightTransport.Folder, "/mnt/shared/kimi"), (folder.Weights.Transport, folder.Weights.LocalRoot));
        Assert.Equal("folder", folder.Weights.Create().Transport);
        Assert.StartsWith("kimi.workers.weights.transport = folder needs kimi.workers.weights.folder",
            Assert.Throws<ArgumentException>(() => Read("kimi.workers.weights.transport = folder")).Message);
        Assert.StartsWith("kimi.workers.weights.transport = smoke-signals: expected memory, shm, folder or http",
            Assert.Throws<ArgumentException>(() => Read("kimi.workers.weights.transport = smoke-signals")).Message);

        var http = Read("kimi.workers.weights { transport = http, http { host = \"0.0.0.0\", port = 7070, deadline = 5s, stall-timeout = 2s } }");
        Assert.Equal(new HttpWeightSettings("0.0.0.0", 7070, null, null,
            new WeightPullOptions(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(200))), http.Weights.Http);
        Assert.StartsWith("kimi.workers.weights.http.port = 70000",
            Assert.Throws<ArgumentException>(() => Read("kimi.workers.weights { transport = http, http.port = 70000 }")).Message);
        // What a node writes for its worker processes: the same transport, and its own server's URL to publish under.
        var child = WorkerSettings.FromConfig(ConfigurationFactory.ParseString(http.Weights.ToHocon("http://trainer-0:7070")));
        Assert.Equal((WeightTransport.Http, "http://trainer-0:7070", TimeSpan.FromSeconds(5)),
            (child.Weights.Transport, child.Weights.HttpSettings.AdvertiseUrl, child.Weights.HttpSettings.Pull.Deadline));
        var store = Assert.IsType<HttpWeightStore>(child.Weights.Create());
        Assert.Equal("http://trainer-0:7070/weights/run-a/v3.safetensors", store.UrlOf(Kimi.Actors.Rl.Identity.RunId.Parse("run-a"), 3));
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
