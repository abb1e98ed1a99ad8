using Kimi.Actors.Cluster.Tests.Workers;
using Kimi.Actors.Cluster.WeightSync;
using Kimi.Actors.Model.Checkpoints;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Runs;
using static TorchSharp.torch;

namespace Kimi.Actors.Cluster.Tests.WeightSync;

public sealed class WeightStoreTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    public static TheoryData<string> Transports => ["memory", "shm"];

    private IWeightStore Store(string transport) =>
        transport == "memory" ? new InMemoryWeightStore() : new SharedFileWeightStore(_folder.Path);

    private static byte[] Bytes(int n, byte seed) => Enumerable.Range(0, n).Select(i => (byte)(i * 31 + seed)).ToArray();

    [Theory, MemberData(nameof(Transports))]
    public void Round_trip_returns_the_published_bytes_with_size_and_hash(string transport)
    {
        var store = Store(transport);
        var bytes = Bytes(1000, 7);
        var published = store.Publish(RunId.Parse("run-a"), 3, bytes);

        Assert.Equal((RunId.Parse("run-a"), 3L, 1000L), (published.Run, published.Version, published.Bytes));
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), published.Sha256);
        Assert.Equal(bytes, store.Fetch(published));
        Assert.Equal(3, store.LatestVersion(RunId.Parse("run-a")));
        Assert.Null(store.LatestVersion(RunId.Parse("run-b")));
        if (transport == "memory") Assert.Equal("mem://run-a/3", published.Location);
        else Assert.Equal(Path.Combine(_folder.Path, "run-a", "v3.safetensors"), published.Location);
    }

    [Theory, MemberData(nameof(Transports))]
    public void A_lower_or_equal_version_is_rejected(string transport)
    {
        var store = Store(transport);
        store.Publish(RunId.Parse("run-a"), 5, Bytes(10, 1));
        var equal = Assert.Throws<WeightSyncException>(() => store.Publish(RunId.Parse("run-a"), 5, Bytes(10, 2)));
        Assert.Contains("strictly increase", equal.Message);
        Assert.Equal(5, equal.Version);
        Assert.Throws<WeightSyncException>(() => store.Publish(RunId.Parse("run-a"), 4, Bytes(10, 3)));
        store.Publish(RunId.Parse("run-a"), 6, Bytes(10, 4));
        store.Publish(RunId.Parse("run-b"), 1, Bytes(10, 5)); // runs are independent
        Assert.Equal(6, store.LatestVersion(RunId.Parse("run-a")));
    }

    [Theory, MemberData(nameof(Transports))]
    public void A_hash_or_size_mismatch_is_rejected_naming_location_and_version(string transport)
    {
        var store = Store(transport);
        var published = store.Publish(RunId.Parse("run-a"), 2, Bytes(64, 9));

        var forged = published with { Sha256 = new string('0', 64) };
        var e = Assert.Throws<WeightSyncException>(() => store.Fetch(forged));
        Assert.Contains("SHA-256 mismatch", e.Message);
        Assert.StartsWith(published.Location, e.Message);
        Assert.Contains("version 2", e.Message);

        Assert.Contains("size mismatch", Assert.Throws<WeightSyncException>(() => store.Fetch(published with { Bytes = 63 })).Message);

        if (transport == "shm")
        {
            // Same length, different content on disk: caught by the hash.
            File.WriteAllBytes(published.Location, Bytes(64, 10));
            Assert.Contains("SHA-256 mismatch", Assert.Throws<WeightSyncException>(() => store.Fetch(published)).Message);
        }
    }

    [Theory, MemberData(nameof(Transports))]
    public void Prune_drops_older_versions_and_retract_drops_newer_ones(string transport)
    {
        var store = Store(transport);
        var v = Enumerable.Range(1, 5).Select(i => store.Publish(RunId.Parse("run-a"), i, Bytes(16, (byte)i))).ToArray();
        store.Prune(RunId.Parse("run-a"), keepFrom: 3);
        Assert.Contains("version 2", Assert.Throws<WeightSyncException>(() => store.Fetch(v[1])).Message);
        Assert.Equal(Bytes(16, 3), store.Fetch(v[2]));

        store.Retract(RunId.Parse("run-a"), fromVersion: 5);
        Assert.Equal(4, store.LatestVersion(RunId.Parse("run-a")));
        var again = store.Publish(RunId.Parse("run-a"), 5, Bytes(16, 50)); // the publisher may now publish version 5 again
        Assert.Equal(Bytes(16, 50), store.Fetch(again));
        store.Publish(RunId.Parse("run-a"), 6, Bytes(16, 60));
        if (transport == "shm") Assert.Equal(["v3", "v4", "v5", "v6"], Directory.GetFiles(Path.Combine(_folder.Path, "run-a")).Select(Path.GetFileNameWithoutExtension).Order());
    }

    [Fact]
    public void Run_ids_that_could_escape_the_folder_are_refused()
    {
        var store = Store("shm");
        // Every run id a store sees is a RunId, and RunId refuses what could name another folder.
        Assert.Throws<ArgumentException>(() => store.Publish(RunId.Parse("../x"), 1, Bytes(4, 0)));
        Assert.Throws<ArgumentException>(() => store.Publish(RunId.Parse("a/b"), 1, Bytes(4, 0)));
        Assert.Throws<ArgumentException>(() => RunId.Parse(".."));
    }

    [Fact]
    public void A_fetch_through_the_wrong_transport_says_so()
    {
        var published = new InMemoryWeightStore().Publish(RunId.Parse("run-a"), 1, Bytes(8, 1));
        Assert.Contains("different weight transports", Assert.Throws<WeightSyncException>(() => Store("shm").Fetch(published)).Message);
    }

    [Fact]
    public void Published_policy_weights_carry_their_config_and_rebuild_the_same_policy()
    {
        var store = Store("shm");
        using var policy = TinyWorkload.Policy(seed: 11);
        var published = PolicyWeights.Publish(store, RunId.Parse("run-p"), 1, policy);

        var bytes = store.Fetch(published);
        Assert.Equal(policy.Config.ToJson(), PolicyWeights.ReadConfig(bytes, published.Location).ToJson());
        var meta = SafeTensors.ReadHeader(bytes, "x").Metadata;
        Assert.Equal(("run-p", "1"), (meta[PolicyWeights.RunIdKey], meta[PolicyWeights.VersionKey]));

        using var rebuilt = PolicyWeights.ToPolicy(bytes, CPU, published.Location);
        var expected = policy.state_dict();
        foreach (var (name, t) in rebuilt.state_dict()) Assert.True(t.allclose(expected[name], rtol: 0, atol: 0), name);

        using var other = TinyWorkload.Policy(seed: 12);
        PolicyWeights.LoadInto(other, bytes, published.Location);
        foreach (var (name, t) in other.state_dict()) Assert.True(t.allclose(expected[name], rtol: 0, atol: 0), name);
    }

    [Fact]
    public void Weights_without_a_config_are_refused_by_name()
    {
        using var policy = TinyWorkload.Policy();
        var bare = PolicyCheckpoint.WeightsToBytes(policy);
        var e = Assert.Throws<CheckpointException>(() => PolicyWeights.ToPolicy(bare, CPU, "src"));
        Assert.Contains("__metadata__.config", e.Message);
    }
}
