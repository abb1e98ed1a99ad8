using System.Net;
using System.Text.Json.Nodes;
using Akka.Cluster;
using k8s.Models;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.Cluster.Node;
using Kimi.Actors.Host.Tests.Support;

namespace Kimi.Actors.Host.Tests.Kubernetes;

/// <summary>
/// Cluster Bootstrap through the Kubernetes API, without Kubernetes: a stand-in API server on loopback lists pods made
/// from the rendered cpu overlay's pod templates, each "pod" a node on its own loopback address with the ports, labels
/// and arguments of its manifest, and the nodes find each other through it and form one cluster.
/// </summary>
public sealed class DiscoveryTests : IDisposable
{
    private readonly TempFolder _tmp = new();
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    /// <summary>
    /// The configuration a container of the manifests starts with, as kimi reads it: its --config file and --set
    /// arguments with $(POD_IP) expanded as Kubernetes expands it, its --roles. What differs on loopback, and why:
    /// the service account's CA, token and namespace files are the stand-in's (no kubelet mounts them); the management
    /// endpoint binds the pod's address rather than 0.0.0.0 (the "pods" share one network namespace); each node has its
    /// own SQLite file, and kimi.persistence.provider=postgres is left out (this branch has no PostgreSQL journal).
    /// </summary>
    private Akka.Configuration.Config NodeConfig(V1Container container, string ip, string caFile, string tokenFile, string namespaceFile)
    {
        var args = container.Args.Select(a => a.Replace("$(POD_IP)", ip)).ToList();
        Assert.Equal("node", args[0]);
        string? configFile = null;
        var settings = new List<string>();
        for (int i = 1; i < args.Count; i += 2)
            switch (args[i])
            {
                case "--config": configFile = args[i + 1].Replace("/etc/kimi/hocon/", Path.Combine(Manifests.RepositoryRoot, "hocon") + "/"); break;
                case "--roles": settings.Add($"akka.cluster.roles=[{args[i + 1]}]"); break;
                case "--set" when args[i + 1] == "kimi.persistence.provider=postgres": break;
                case "--set": settings.Add(args[i + 1]); break;
                default: Assert.Fail($"container {container.Name}: argument {args[i]} is not one kimi node takes"); break;
            }
        settings.AddRange([
            $"akka.discovery.kubernetes-api.api-ca-path={caFile}",
            $"akka.discovery.kubernetes-api.api-token-path={tokenFile}",
            $"akka.discovery.kubernetes-api.pod-namespace-path={namespaceFile}",
            $"kimi.management.http.bind-hostname={ip}",
            $"kimi.persistence.sqlite-file={_tmp.File(ip + ".db")}",
            "kimi.management.readiness.check-interval=500ms",
        ]);
        return KimiConfigLoader.Load(null, [configFile!], settings, Commands.TrainCommand.NodeLayers.Where(l => l != "hocon/local-node.conf"));
    }

    [Fact]
    public async Task Two_nodes_configured_as_the_manifests_find_each_other_through_the_kubernetes_api_and_form_a_cluster()
    {
        var m = Manifests.Render("cpu");
        var run = m.Workloads["kimi-run"];
        var rollout = m.Workloads["kimi-rollout"];
        var database = m.OfType<V1StatefulSet>().Single();
        var ns = run.Metadata.NamespaceProperty;
        await using var api = await KubernetesApiStandIn.StartAsync();
        var (ca, token, nsFile) = (_tmp.File("ca.crt"), _tmp.File("token"), _tmp.File("namespace"));
        File.WriteAllText(ca, api.CaPem);
        File.WriteAllText(token, api.Token);
        File.WriteAllText(nsFile, ns);

        // A /24 of loopback addresses of its own, so two runs of this test on one machine do not meet.
        var net = $"127.{Random.Shared.Next(1, 255)}.{Random.Shared.Next(1, 255)}.";
        var (runIp, rolloutIp) = (net + "2", net + "3");
        api.AddPod(ns, "kimi-run-0", run.Spec.Template, runIp);
        api.AddPod(ns, "kimi-rollout-0", rollout.Spec.Template, rolloutIp);
        api.AddPod(ns, "kimi-postgres-0", database.Spec.Template, net + "4");   // listed by the API, but not a Kimi pod
        api.AddPod("elsewhere", "kimi-rollout-x", rollout.Spec.Template, net + "5");   // another namespace

        var environment = new Dictionary<string, string?>
        {
            ["KUBERNETES_SERVICE_HOST"] = "127.0.0.1",
            ["KUBERNETES_SERVICE_PORT"] = api.Port.ToString(),
            [KimiConfigLoader.HoconDirVariable] = Path.Combine(Manifests.RepositoryRoot, "hocon"),
        };
        var saved = environment.Keys.ToDictionary(k => k, Environment.GetEnvironmentVariable);
        foreach (var (k, v) in environment) Environment.SetEnvironmentVariable(k, v);
        var nodes = new List<KimiNode>();
        try
        {
            var configs = new[]
            {
                NodeConfig(run.Spec.Template.Spec.Containers.Single(), runIp, ca, token, nsFile),
                NodeConfig(rollout.Spec.Template.Spec.Containers.Single(), rolloutIp, ca, token, nsFile),
            };
            var starting = configs.Select(c => KimiNode.StartAsync(c)).ToArray();
            var all = Task.WhenAll(starting);
            if (await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(120))) != all)
                Assert.Fail($"the nodes did not form a cluster within 120 s; the stand-in saw: {string.Join("; ", api.Requests.Select(r => r.PathAndQuery))}");
            nodes.AddRange(await all);

            foreach (var node in nodes)
            {
                var cluster = Akka.Cluster.Cluster.Get(node.System);
                var members = cluster.State.Members.Where(x => x.Status == MemberStatus.Up).ToList();
                Assert.Equal([runIp, rolloutIp], members.Select(x => x.Address.Host).Order());
                Assert.Equal(["prompt", "run"], members.Single(x => x.Address.Host == runIp).Roles.Order());
                Assert.Equal(["rollout"], members.Single(x => x.Address.Host == rolloutIp).Roles.Order());
            }
            // Discovery asked for the selector of hocon/kubernetes.conf, in the pod's namespace, with the token.
            Assert.NotEmpty(api.Requests);
            Assert.All(api.Requests, r =>
            {
                Assert.True(r.Authorized);
                Assert.StartsWith($"/api/v1/namespaces/{ns}/pods?", r.PathAndQuery);
                Assert.Contains("labelSelector=" + Uri.EscapeDataString("app.kubernetes.io/name=kimi"), r.PathAndQuery);
            });
            // Both answer ready on the port and path their probes use.
            foreach (var (ip, deployment) in new[] { (runIp, run), (rolloutIp, rollout) })
            {
                var probe = deployment.Spec.Template.Spec.Containers.Single().ReadinessProbe.HttpGet;
                var port = deployment.Spec.Template.Spec.Containers.Single().Ports.Single(p => p.Name == probe.Port.Value).ContainerPort;
                var url = $"http://{ip}:{port}{probe.Path}";
                var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
                HttpStatusCode status = 0;
                string body = "";
                while (DateTime.UtcNow < deadline)
                {
                    using var response = await Http.GetAsync(url);
                    (status, body) = (response.StatusCode, await response.Content.ReadAsStringAsync());
                    if (status == HttpStatusCode.OK) break;
                    await Task.Delay(200);
                }
                Assert.True(status == HttpStatusCode.OK, $"{url}: {status} {body}");
                Assert.Equal("Up", (string)JsonNode.Parse(body)!["member"]!);
            }
        }
        finally
        {
            foreach (var node in nodes) await node.DisposeAsync();
            foreach (var (k, v) in saved) Environment.SetEnvironmentVariable(k, v);
        }
    }

    public void Dispose() => _tmp.Dispose();
}
