using System.Net;
using System.Security.Cryptography.X509Certificates;
using Akka.Actor;
using Akka.Discovery;
using Akka.Event;
using k8s;
using k8s.Authentication;
using k8s.Models;
using AkkaConfig = Akka.Configuration.Config;

namespace Kimi.Actors.Cluster.Management;

/// <summary>
/// Akka Discovery through the Kubernetes API: the pods of the node's own namespace that match a label selector, each
/// as its pod IP and the container port with the looked-up name. It reads the same <c>akka.discovery.kubernetes-api</c>
/// keys and selects pods by the same rules as Akka.Discovery.KubernetesApi (running, not being deleted, a pod IP, a port
/// whose name contains the port name), which cannot run on the KubernetesClient versions the package feed has (see
/// Directory.Packages.props). The API is reached as in-cluster clients reach it: https on the service host and port
/// from the environment, the service account's CA certificate and bearer token (re-read as the kubelet rotates it).
/// </summary>
public sealed class KubernetesPodDiscovery : ServiceDiscovery
{
    public const string ConfigPath = "akka.discovery.kubernetes-api";

    private readonly ILoggingAdapter _log;
    private readonly Settings _settings;
    private readonly Lazy<(Kubernetes Client, string Host)> _client;

    public KubernetesPodDiscovery(ExtendedActorSystem system) : this(system, system.Settings.Config.GetConfig(ConfigPath)) { }

    public KubernetesPodDiscovery(ExtendedActorSystem system, AkkaConfig config)
    {
        _log = Logging.GetLogger(system, this);
        _settings = Settings.From(config);
        _client = new Lazy<(Kubernetes, string)>(CreateClient);
    }

    /// <summary>The discovery settings, read once: the same keys as Akka.Discovery.KubernetesApi's reference configuration.</summary>
    public sealed record Settings(string CaPath, string TokenPath, string HostEnv, string PortEnv, string NamespacePath, string? Namespace,
        string LabelSelector, string PodDomain, bool RawIp, string? ContainerName)
    {
        public static Settings From(AkkaConfig c)
        {
            static string? Optional(string v) => string.IsNullOrWhiteSpace(v) || v.StartsWith('<') ? null : v;
            return new Settings(c.GetString("api-ca-path"), c.GetString("api-token-path"), c.GetString("api-service-host-env-name"),
                c.GetString("api-service-port-env-name"), c.GetString("pod-namespace-path"), Optional(c.GetString("pod-namespace", "")),
                c.GetString("pod-label-selector", "app={0}"), c.GetString("pod-domain", "cluster.local"), c.GetBoolean("use-raw-ip", true),
                Optional(c.GetString("container-name", "")));
        }

        /// <summary>The namespace to list: the configured one, else the service account's, else <c>default</c>.</summary>
        public string EffectiveNamespace()
        {
            if (Namespace is not null) return Namespace;
            var fromFile = File.Exists(NamespacePath) ? File.ReadAllText(NamespacePath).Trim() : "";
            return fromFile.Length > 0 ? fromFile : "default";
        }

        public string SelectorFor(string serviceName) => LabelSelector.Replace("{0}", serviceName, StringComparison.Ordinal);
    }

    public override async Task<Resolved> Lookup(Lookup lookup, TimeSpan resolveTimeout)
    {
        var (client, host) = _client.Value;
        var selector = _settings.SelectorFor(lookup.ServiceName);
        var ns = _settings.EffectiveNamespace();
        using var deadline = new CancellationTokenSource(resolveTimeout);
        V1PodList pods;
        try
        {
            pods = await client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: selector, cancellationToken: deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new DiscoveryException($"the Kubernetes API at {host} did not list the pods of namespace {ns} ({selector}) within {resolveTimeout.TotalSeconds:0.#} s");
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Forbidden)
        {
            throw new DiscoveryException($"the Kubernetes API at {host} forbids listing pods in namespace {ns}: " +
                "the pod's service account needs a Role with get/list/watch on pods (k8s/base/rbac.yaml)", e);
        }
        catch (k8s.Autorest.HttpOperationException e)
        {
            throw new DiscoveryException($"the Kubernetes API at {host} answered {(int)e.Response.StatusCode} to listing pods in namespace {ns}", e);
        }
        var targets = Targets(pods, lookup.PortName, ns, _settings.PodDomain, _settings.RawIp, _settings.ContainerName);
        if (targets.Count == 0)
            _log.Warning("no running pod with a port named {0} in namespace {1} matches {2} ({3} pod(s) listed)", lookup.PortName, ns, selector, pods.Items.Count);
        return new Resolved(lookup.ServiceName, targets);
    }

    /// <summary>
    /// The contact points among <paramref name="pods"/>: running pods that are not being deleted, that have an IP and (when
    /// a port name is asked for) a container port whose name contains it; with <paramref name="containerName"/>, a pod
    /// whose container of that name is still waiting is skipped.
    /// </summary>
    public static IReadOnlyList<ResolvedTarget> Targets(V1PodList pods, string? portName, string podNamespace, string podDomain, bool rawIp,
        string? containerName)
    {
        var targets = new List<ResolvedTarget>();
        foreach (var pod in pods.Items ?? [])
        {
            if (pod.Metadata?.DeletionTimestamp is not null) continue;
            if (pod.Status?.Phase?.Contains("running", StringComparison.OrdinalIgnoreCase) != true) continue;
            if (containerName is not null && (pod.Status.ContainerStatuses ?? []).Any(s => s.Name == containerName && s.State?.Waiting is not null)) continue;
            var ip = pod.Status.PodIP;
            if (string.IsNullOrWhiteSpace(ip) || !IPAddress.TryParse(ip, out var address)) continue;
            int? port = null;
            if (portName is not null)
            {
                var match = (pod.Spec?.Containers ?? []).SelectMany(c => c.Ports ?? []).FirstOrDefault(p => p.Name?.Contains(portName) == true);
                if (match is null) continue;
                port = match.ContainerPort;
            }
            var host = rawIp ? ip : $"{ip.Replace('.', '-')}.{podNamespace}.pod.{podDomain}";
            targets.Add(new ResolvedTarget(host, port, address));
        }
        return targets;
    }

    private (Kubernetes, string) CreateClient()
    {
        var host = Environment.GetEnvironmentVariable(_settings.HostEnv);
        var port = Environment.GetEnvironmentVariable(_settings.PortEnv);
        if (string.IsNullOrWhiteSpace(host) || string.IsNullOrWhiteSpace(port))
            throw new DiscoveryException($"Kubernetes API discovery needs the environment variables {_settings.HostEnv} and {_settings.PortEnv} " +
                $"(set by Kubernetes in every pod; {ConfigPath}.api-service-host-env-name / -port-env-name name them)");
        if (!File.Exists(_settings.CaPath)) throw new DiscoveryException($"{ConfigPath}.api-ca-path: '{_settings.CaPath}' does not exist");
        if (!File.Exists(_settings.TokenPath)) throw new DiscoveryException($"{ConfigPath}.api-token-path: '{_settings.TokenPath}' does not exist");
        var baseUri = $"https://{(host.Contains(':') ? $"[{host}]" : host)}:{port}";
        var ca = new X509Certificate2Collection();
        ca.ImportFromPemFile(_settings.CaPath);
        var config = new KubernetesClientConfiguration
        {
            Host = baseUri,
            SslCaCerts = ca,
            TokenProvider = new TokenFileAuth(_settings.TokenPath),
            Namespace = _settings.EffectiveNamespace(),
        };
        return (new Kubernetes(config), baseUri);
    }
}

/// <summary>A lookup that could not be made; Cluster Bootstrap logs it and tries again with back-off.</summary>
public sealed class DiscoveryException : Exception
{
    public DiscoveryException(string message) : base(message) { }
    public DiscoveryException(string message, Exception inner) : base(message, inner) { }
}
