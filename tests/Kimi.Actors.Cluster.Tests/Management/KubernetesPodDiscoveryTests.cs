using k8s.Models;
using Kimi.Actors.Cluster.Management;

namespace Kimi.Actors.Cluster.Tests.Management;

/// <summary>Which listed pods become contact points (the rules of Akka.Discovery.KubernetesApi).</summary>
public class KubernetesPodDiscoveryTests
{
    private static V1Pod Pod(string name, string phase = "Running", string? ip = "10.1.0.7", bool deleting = false,
        params (string Name, int Port)[] ports) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, DeletionTimestamp = deleting ? DateTime.UtcNow : null },
        Spec = new V1PodSpec
        {
            Containers = [new V1Container { Name = "kimi", Ports = ports.Select(p => new V1ContainerPort { ContainerPort = p.Port, Name = p.Name }).ToList() }],
        },
        Status = new V1PodStatus { Phase = phase, PodIP = ip },
    };

    private static readonly (string, int)[] KimiPorts = [("management", 8558), ("remoting", 4053)];

    [Fact]
    public void Running_pods_with_an_ip_and_the_named_port_are_contact_points_others_are_not()
    {
        var pods = new V1PodList
        {
            Items =
            [
                Pod("a", ports: KimiPorts),
                Pod("b", ip: "10.1.0.8", ports: KimiPorts),
                Pod("pending", phase: "Pending", ports: KimiPorts),
                Pod("no-ip", ip: null, ports: KimiPorts),
                Pod("leaving", ip: "10.1.0.9", deleting: true, ports: KimiPorts),
                Pod("database", ip: "10.1.0.10", ports: [("postgres", 5432)]),
            ],
        };
        var targets = KubernetesPodDiscovery.Targets(pods, "management", "kimi", "cluster.local", rawIp: true, containerName: null);
        Assert.Equal([("10.1.0.7", 8558), ("10.1.0.8", 8558)], targets.Select(t => (t.Host, t.Port!.Value)));
        Assert.Equal("10.1.0.8", targets[1].Address!.ToString());
    }

    [Fact]
    public void Without_raw_ips_a_contact_point_is_the_pod_dns_name()
    {
        var pods = new V1PodList { Items = [Pod("a", ports: KimiPorts)] };
        var target = KubernetesPodDiscovery.Targets(pods, "management", "kimi", "cluster.local", rawIp: false, containerName: null).Single();
        Assert.Equal("10-1-0-7.kimi.pod.cluster.local", target.Host);
    }

    [Fact]
    public void The_label_selector_takes_the_service_name_and_the_namespace_falls_back_to_default()
    {
        var settings = KubernetesPodDiscovery.Settings.From(Akka.Configuration.ConfigurationFactory.ParseString("""
            api-ca-path = "/nonexistent/ca.crt"
            api-token-path = "/nonexistent/token"
            api-service-host-env-name = KUBERNETES_SERVICE_HOST
            api-service-port-env-name = KUBERNETES_SERVICE_PORT
            pod-namespace-path = "/nonexistent/namespace"
            pod-namespace = "<pod-namespace>"
            pod-label-selector = "app.kubernetes.io/name={0},tier!=db"
            """));
        Assert.Equal("app.kubernetes.io/name=kimi,tier!=db", settings.SelectorFor("kimi"));
        Assert.Equal("default", settings.EffectiveNamespace());
        Assert.Equal("ml", (settings with { Namespace = "ml" }).EffectiveNamespace());
    }
}
