using k8s.Models;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.Cluster.Management;

namespace Kimi.Actors.Host.Tests.Kubernetes;

/// <summary>
/// Every overlay under k8s/overlays, rendered by kubectl kustomize, is checked against what the node serves and
/// reads: the objects each workload refers to exist, probes and scrape annotations hit the paths and ports the
/// management endpoint serves, pods carry the labels the discovery selector asks for, every container requests
/// resources, and the ConfigMap holds hocon/ itself.
/// </summary>
public class ManifestTests
{
    public static TheoryData<string> Overlays() => new(Manifests.Overlays);

    private static readonly Akka.Configuration.Config Node = Manifests.KubernetesConfig();

    [Theory, MemberData(nameof(Overlays))]
    public void Every_role_has_its_workload_and_each_names_a_service_account_with_pod_list_rights(string overlay)
    {
        var m = Manifests.Render(overlay);
        var workloads = m.Workloads;
        Assert.Equal(["kimi-judge", "kimi-rollout", "kimi-run", "kimi-trainer"], workloads.Keys.Order());
        var roles = workloads.Values.SelectMany(d => RolesOf(d.Spec.Template.Spec.Containers.Single())).ToHashSet();
        Assert.Equal(["judge", "prompt", "rollout", "run", "trainer"], roles.Order());

        var accounts = m.OfType<V1ServiceAccount>().Select(a => a.Metadata.Name).ToHashSet();
        foreach (var (name, d) in workloads)
        {
            var account = d.Spec.Template.Spec.ServiceAccountName;
            Assert.True(account is not null && accounts.Contains(account), $"{overlay}/{name}: service account '{account}' is not in the overlay");
            Assert.NotEqual(false, d.Spec.Template.Spec.AutomountServiceAccountToken);
            var binding = m.OfType<V1RoleBinding>().SingleOrDefault(b => b.Subjects.Any(s => s.Kind == "ServiceAccount" && s.Name == account));
            Assert.True(binding is not null, $"{overlay}: no RoleBinding for service account {account}");
            var role = m.OfType<V1Role>().Single(r => r.Metadata.Name == binding.RoleRef.Name);
            Assert.Contains(role.Rules, r => r.ApiGroups.Contains("") && r.Resources.Contains("pods") && r.Verbs.Contains("list"));
        }
    }

    [Theory, MemberData(nameof(Overlays))]
    public void Every_config_map_and_secret_a_workload_uses_is_in_the_overlay(string overlay)
    {
        var m = Manifests.Render(overlay);
        var maps = m.OfType<V1ConfigMap>().ToDictionary(c => c.Metadata.Name);
        var secrets = m.OfType<V1Secret>().ToDictionary(s => s.Metadata.Name);
        foreach (var (owner, template) in m.PodTemplates)
        {
            foreach (var v in template.Spec.Volumes ?? [])
                if (v.ConfigMap is { } cm) Assert.True(maps.ContainsKey(cm.Name), $"{overlay}/{owner}: ConfigMap {cm.Name} missing");
            foreach (var env in template.Spec.Containers.SelectMany(c => c.Env ?? []))
                if (env.ValueFrom?.SecretKeyRef is { } key)
                {
                    Assert.True(secrets.TryGetValue(key.Name, out var secret), $"{overlay}/{owner}: Secret {key.Name} missing");
                    Assert.True((secret.Data?.ContainsKey(key.Key) ?? false) || (secret.StringData?.ContainsKey(key.Key) ?? false),
                        $"{overlay}/{owner}: Secret {key.Name} has no key {key.Key}");
                }
        }
        foreach (var (name, d) in m.Workloads)
        {
            var env = d.Spec.Template.Spec.Containers.Single().Env.ToDictionary(e => e.Name);
            Assert.True(env.TryGetValue("KIMI_PERSISTENCE_CONNECTION_STRING", out var cs) && cs.ValueFrom?.SecretKeyRef is not null,
                $"{overlay}/{name}: the PostgreSQL connection string must come from a Secret");
            Assert.Contains(d.Spec.Template.Spec.Volumes, v => v.ConfigMap is not null);
        }
    }

    [Theory, MemberData(nameof(Overlays))]
    public void The_config_maps_hold_hocon_itself_and_the_pods_read_them(string overlay)
    {
        var m = Manifests.Render(overlay);
        var hocon = Path.Combine(Manifests.RepositoryRoot, "hocon");
        var files = Directory.GetFiles(hocon, "*.conf", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(hocon, f).Replace('\\', '/'), File.ReadAllText);
        foreach (var (name, d) in m.Workloads)
        {
            var spec = d.Spec.Template.Spec;
            var container = spec.Containers.Single();
            var dir = container.Env.Single(e => e.Name == KimiConfigLoader.HoconDirVariable).Value;
            // What the pod sees under KIMI_HOCON_DIR: every ConfigMap volume mounted at or below it, by relative path.
            var seen = new Dictionary<string, string>();
            foreach (var mount in container.VolumeMounts)
            {
                var volume = spec.Volumes.Single(v => v.Name == mount.Name);
                if (volume.ConfigMap is null || !(mount.MountPath + "/").StartsWith(dir + "/", StringComparison.Ordinal)) continue;
                var prefix = mount.MountPath.Length > dir.Length ? mount.MountPath[(dir.Length + 1)..] + "/" : "";
                var map = m.OfType<V1ConfigMap>().Single(c => c.Metadata.Name == volume.ConfigMap.Name);
                foreach (var (key, text) in map.Data) seen[prefix + key] = text;
            }
            Assert.Equal(files.Keys.Order(), seen.Keys.Order());
            foreach (var (path, text) in files) Assert.True(text == seen[path], $"{overlay}/{name}: {dir}/{path} differs from hocon/{path}");
            var config = ArgAfter(container, "--config");
            Assert.Equal($"{dir}/kubernetes.conf", config);
        }
    }

    [Theory, MemberData(nameof(Overlays))]
    public void Probes_scrape_annotations_and_ports_match_what_the_node_serves(string overlay)
    {
        var management = ManagementSettings.FromConfig(Node);
        int remoting = Node.GetInt("akka.remote.dot-netty.tcp.port");
        var portName = Node.GetString("akka.management.cluster.bootstrap.contact-point-discovery.port-name");
        foreach (var (name, d) in Manifests.Render(overlay).Workloads)
        {
            var c = d.Spec.Template.Spec.Containers.Single();
            var ports = c.Ports.ToDictionary(p => p.Name, p => p.ContainerPort);
            Assert.Equal(management.Port, ports["management"]);
            Assert.Equal(remoting, ports["remoting"]);
            Assert.Contains(ports.Keys, p => p.Contains(portName));
            Assert.Equal(ManagementSettings.ReadyPath, c.ReadinessProbe.HttpGet.Path);
            Assert.Equal(ManagementSettings.LivePath, c.LivenessProbe.HttpGet.Path);
            Assert.Equal(management.Port, ports[c.ReadinessProbe.HttpGet.Port.Value]);
            Assert.Equal(management.Port, ports[c.LivenessProbe.HttpGet.Port.Value]);
            var annotations = d.Spec.Template.Metadata.Annotations;
            Assert.Equal("true", annotations["prometheus.io/scrape"]);
            Assert.Equal(management.Port.ToString(), annotations["prometheus.io/port"]);
            Assert.Equal(ManagementSettings.MetricsPath, annotations["prometheus.io/path"]);
            // The node must listen where the kubelet probes (the pod IP) and advertise the pod IP to the others.
            Assert.Equal("0.0.0.0", management.BindHostname);
            Assert.Contains("kimi.management.http.hostname=$(POD_IP)", c.Args);
            Assert.Contains("akka.remote.dot-netty.tcp.hostname=$(POD_IP)", c.Args);
            Assert.Equal("status.podIP", c.Env.Single(e => e.Name == "POD_IP").ValueFrom.FieldRef.FieldPath);
        }
        var service = Manifests.Render(overlay).OfType<V1Service>().Single(s => s.Metadata.Name == "kimi");
        Assert.Equal("None", service.Spec.ClusterIP);
        Assert.Equal(["management", "remoting"], service.Spec.Ports.Select(p => p.Name).Order());
        Assert.All(service.Spec.Ports, p => Assert.Contains(p.TargetPort.Value, new[] { "management", "remoting" }));
    }

    [Theory, MemberData(nameof(Overlays))]
    public void Pod_labels_match_the_discovery_selector_and_only_kimi_pods_do(string overlay)
    {
        Assert.Equal("discovery", Node.GetString(ManagementSettings.BootstrapKey));
        var service = Node.GetString("akka.management.cluster.bootstrap.contact-point-discovery.service-name");
        var selector = new LabelSelector(Node.GetString("akka.discovery.kubernetes-api.pod-label-selector").Replace("{0}", service));
        var m = Manifests.Render(overlay);
        foreach (var (owner, template) in m.PodTemplates)
            Assert.True(selector.Matches(template.Metadata.Labels) == m.Workloads.ContainsKey(owner),
                $"{overlay}/{owner}: labels {string.Join(",", template.Metadata.Labels)} vs discovery selector");
        // The headless Service, disruption budgets and the autoscaler select the same pods their names say.
        var services = m.OfType<V1Service>().Single(s => s.Metadata.Name == "kimi");
        Assert.All(m.Workloads.Values, d => Assert.True(Subset(services.Spec.Selector, d.Spec.Template.Metadata.Labels)));
        foreach (var (name, d) in m.Workloads)
        {
            var pdbs = m.OfType<V1PodDisruptionBudget>().Where(p => Subset(p.Spec.Selector.MatchLabels, d.Spec.Template.Metadata.Labels)).ToList();
            Assert.True(pdbs.Count == 1, $"{overlay}/{name}: {pdbs.Count} PodDisruptionBudgets select its pods");
            Assert.True(Subset(d.Spec.Selector.MatchLabels, d.Spec.Template.Metadata.Labels));
        }
        var hpa = m.OfType<V2HorizontalPodAutoscaler>().Single();
        Assert.Equal(("Deployment", "kimi-judge"), (hpa.Spec.ScaleTargetRef.Kind, hpa.Spec.ScaleTargetRef.Name));
        Assert.True(hpa.Spec.MaxReplicas > hpa.Spec.MinReplicas);
    }

    [Theory, MemberData(nameof(Overlays))]
    public void Every_container_requests_cpu_and_memory(string overlay)
    {
        foreach (var (owner, template) in Manifests.Render(overlay).PodTemplates)
            foreach (var c in template.Spec.Containers.Concat(template.Spec.InitContainers ?? []))
            {
                var requests = c.Resources?.Requests;
                Assert.True(requests is not null && requests.ContainsKey("cpu") && requests.ContainsKey("memory"),
                    $"{overlay}/{owner}/{c.Name}: no cpu and memory requests");
            }
    }

    [Fact]
    public void The_gpu_overlay_gives_run_trainer_and_rollout_pods_a_gpu_and_the_cpu_overlay_none()
    {
        static int Gpus(V1Deployment d, Func<V1ResourceRequirements, IDictionary<string, ResourceQuantity>?> side) =>
            side(d.Spec.Template.Spec.Containers.Single().Resources) is { } r && r.TryGetValue("nvidia.com/gpu", out var q) ? (int)q.ToDecimal() : 0;
        var gpu = Manifests.Render("gpu").Workloads;
        foreach (var name in new[] { "kimi-run", "kimi-trainer", "kimi-rollout" })
        {
            Assert.Equal(1, Gpus(gpu[name], r => r.Requests));
            Assert.Equal(1, Gpus(gpu[name], r => r.Limits));
            Assert.Contains("kimi.workers.devices=[\"cuda:0\"]", gpu[name].Spec.Template.Spec.Containers.Single().Args);
        }
        Assert.Equal(0, Gpus(gpu["kimi-judge"], r => r.Limits));
        Assert.All(Manifests.Render("cpu").Workloads.Values, d => Assert.Equal(0, Gpus(d, r => r.Limits)));
        Assert.True(gpu["kimi-rollout"].Spec.Replicas > Manifests.Render("cpu").Workloads["kimi-rollout"].Spec.Replicas);
    }

    [Theory, MemberData(nameof(Overlays))]
    public void Termination_grace_outlasts_the_whole_coordinated_shutdown_and_shard_hand_off(string overlay)
    {
        var built = ClusterBootstrap.BuildConfig(Node);
        var shutdown = built.GetConfig("akka.coordinated-shutdown");
        var fallback = shutdown.GetTimeSpan("default-phase-timeout");
        var phases = shutdown.GetConfig("phases").Root.GetObject().Items.Keys.ToList();
        Assert.Contains("cluster-sharding-shutdown-region", phases);
        var total = phases.Aggregate(TimeSpan.Zero, (sum, p) => sum + shutdown.GetTimeSpan($"phases.{p}.timeout", fallback));
        var handoff = built.GetTimeSpan("akka.cluster.sharding.handoff-timeout");
        foreach (var (name, d) in Manifests.Render(overlay).Workloads)
        {
            var grace = TimeSpan.FromSeconds(d.Spec.Template.Spec.TerminationGracePeriodSeconds ?? 30);
            Assert.True(grace > total, $"{overlay}/{name}: terminationGracePeriodSeconds {grace.TotalSeconds} <= coordinated shutdown {total.TotalSeconds} s");
            Assert.True(grace > handoff, $"{overlay}/{name}: terminationGracePeriodSeconds {grace.TotalSeconds} <= hand-off {handoff.TotalSeconds} s");
            Assert.Equal(0, d.Spec.Strategy.RollingUpdate.MaxUnavailable.Value is "0" ? 0 : int.Parse(d.Spec.Strategy.RollingUpdate.MaxUnavailable.Value));
        }
    }

    [Fact]
    public void The_dockerfile_copies_only_what_the_repository_has_and_builds_both_images()
    {
        var lines = File.ReadAllLines(Path.Combine(Manifests.RepositoryRoot, "k8s", "Dockerfile"));
        var stages = lines.Where(l => l.StartsWith("FROM ")).Select(l => l.Split(' ').Last()).ToList();
        Assert.Contains("cpu", stages);
        Assert.Contains("cuda", stages);
        foreach (var copy in lines.Where(l => l.StartsWith("COPY ") && !l.Contains("--from=")))
            foreach (var source in copy.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1..^1])
                Assert.True(File.Exists(Path.Combine(Manifests.RepositoryRoot, source)) || Directory.Exists(Path.Combine(Manifests.RepositoryRoot, source)),
                    $"k8s/Dockerfile copies {source}, which the repository does not have");
        Assert.Contains(lines, l => l.Contains("-p:KimiLibTorch=cuda"));
    }

    private static IEnumerable<string> RolesOf(V1Container c) => ArgAfter(c, "--roles").Split(',');

    private static string ArgAfter(V1Container c, string option)
    {
        int i = c.Args.IndexOf(option);
        Assert.True(i >= 0 && i + 1 < c.Args.Count, $"container {c.Name} has no {option} argument");
        return c.Args[i + 1];
    }

    private static bool Subset(IDictionary<string, string>? selector, IDictionary<string, string> labels) =>
        selector is { Count: > 0 } && selector.All(p => labels.TryGetValue(p.Key, out var v) && v == p.Value);
}
