using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Kimi.Actors.Cluster.Node;
using Kimi.Actors.Cluster.Tests.Support;

namespace Kimi.Actors.Cluster.Tests.Management;

/// <summary>
/// A node's management endpoint over real HTTP on loopback: not ready (503, with the reason) while it waits for its
/// seed, live all the same; ready (200) once it has joined and its entity types' regions are registered; its
/// /metrics in the Prometheus text format.
/// </summary>
public sealed class ManagementEndpointTests : IDisposable
{
    private readonly TempDatabase _first = new(), _second = new();
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    public static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static string Management(int port) => $"""
        kimi.management.enabled = on
        kimi.management.http.port = {port}
        kimi.management.readiness.check-interval = 200ms
        kimi.management.metrics.poll-interval = 200ms
        """;

    /// <summary>The status code and body of GET <paramref name="url"/>, or null while nothing listens there.</summary>
    private static async Task<(HttpStatusCode Status, string Body)?> Get(string url)
    {
        try
        {
            using var response = await Http.GetAsync(url);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }
        catch (HttpRequestException) { return null; }
    }

    private static async Task<(HttpStatusCode Status, string Body)> Until(string url, Func<(HttpStatusCode Status, string Body), bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        (HttpStatusCode, string)? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await Get(url);
            if (last is { } answer && condition(answer)) return answer;
            await Task.Delay(100);
        }
        Assert.Fail($"no {what} from {url} within {timeout.TotalSeconds} s; last answer: {last}");
        return default;
    }

    [Fact]
    public async Task Ready_is_503_with_a_reason_until_the_node_has_joined_then_200_and_metrics_describe_the_cluster()
    {
        int seedPort = FreePort(), seedHttp = FreePort(), http = FreePort();
        var seed = NodeConfig.For(_first.File, cluster: true, extra: $"akka.remote.dot-netty.tcp.port = {seedPort}\n{Management(seedHttp)}");
        var joiner = NodeConfig.For(_second.File, cluster: true, extra: $"""
            kimi.cluster.join-self = off
            akka.cluster.seed-nodes = ["akka.tcp://kimi@127.0.0.1:{seedPort}"]
            {Management(http)}
            """);
        var ready = $"http://127.0.0.1:{http}/healthz/ready";

        // The joiner starts first: its seed is not there yet, so it cannot be Up.
        var joining = KimiNode.StartAsync(joiner);
        try
        {
            var before = await Until(ready, _ => true, TimeSpan.FromSeconds(30), "answer");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, before.Status);
            var body = JsonNode.Parse(before.Body)!;
            Assert.Equal("not-ready", (string)body["status"]!);
            Assert.Contains(body["reasons"]!.AsArray(), r => ((string)r!).Contains("has not joined a cluster yet") || ((string)r!).Contains("is Joining"));
            Assert.Equal(HttpStatusCode.OK, (await Get($"http://127.0.0.1:{http}/healthz/live"))!.Value.Status);
            Assert.False(joining.IsCompleted);

            await using var first = await KimiNode.StartAsync(seed);
            await using var second = await joining;
            var after = await Until(ready, a => a.Status == HttpStatusCode.OK, TimeSpan.FromSeconds(30), "200");
            var entities = JsonNode.Parse(after.Body)!["entities"]!.AsObject();
            Assert.Equal(["prompt", "reward-judge", "rollout-generator", "run", "trainer"], entities.Select(p => p.Key).Order());
            Assert.All(entities, p => Assert.Equal("started (2 node(s) host it)", (string)p.Value!));
            Assert.Equal("reachable", (string)JsonNode.Parse(after.Body)!["persistence"]!);

            var metrics = await Until($"http://127.0.0.1:{http}/metrics", a => a.Body.Contains("kimi_cluster_members{status=\"Up\"} 2"),
                TimeSpan.FromSeconds(10), "two Up members in /metrics");
            Assert.StartsWith("text/plain", (await Http.GetAsync($"http://127.0.0.1:{http}/metrics")).Content.Headers.ContentType!.MediaType);
            Assert.Contains("kimi_member_up 1", metrics.Body);
            Assert.Contains("kimi_entities{type=\"run\"} 0", metrics.Body);
            // Every series this node exports is Kimi's.
            var names = metrics.Body.Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l.Split('{', ' ')[0]).Distinct().ToList();
            Assert.NotEmpty(names);
            Assert.All(names, n => Assert.StartsWith("kimi_", n));
            // Cluster Bootstrap's contact point answers as Akka.Management's does: this node and the members it sees.
            var seeds = JsonNode.Parse((await Get($"http://127.0.0.1:{http}/bootstrap/seed-nodes"))!.Value.Body)!;
            Assert.Equal(2, seeds["Nodes"]!.AsArray().Count);
        }
        finally
        {
            if (!joining.IsCompleted) await Task.WhenAny(joining, Task.Delay(TimeSpan.FromSeconds(35)));
        }
    }

    [Fact]
    public async Task A_port_in_use_stops_start_up_with_the_address_and_key_named()
    {
        var busy = new TcpListener(IPAddress.Loopback, 0);
        busy.Start();
        try
        {
            int port = ((IPEndPoint)busy.LocalEndpoint).Port;
            var error = await Assert.ThrowsAsync<Kimi.Actors.Cluster.Configuration.ClusterStartException>(() =>
                KimiNode.StartAsync(NodeConfig.For(_first.File, cluster: true, extra: Management(port))));
            Assert.Contains($"127.0.0.1:{port}", error.Message);
            Assert.Contains("kimi.management.http.port", error.Message);
        }
        finally { busy.Stop(); }
    }

    public void Dispose()
    {
        _first.Dispose();
        _second.Dispose();
    }
}
