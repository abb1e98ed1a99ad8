using System.Diagnostics;
using Akka.Configuration;
using k8s;
using k8s.Models;
using Kimi.Actors.Cluster.Configuration;

namespace Kimi.Actors.Host.Tests.Kubernetes;

/// <summary>
/// The repository's k8s/ overlays rendered by <c>kubectl kustomize</c> (the tool operators apply them with) and read
/// back as typed Kubernetes objects (KubernetesClient's own YAML reader), plus the hocon layer the pods run with.
/// </summary>
public sealed class Manifests
{
    public static readonly string[] Overlays = ["cpu", "gpu"];

    public static string RepositoryRoot { get; } = FindRoot();

    public string Overlay { get; }
    public IReadOnlyList<object> Objects { get; }

    private Manifests(string overlay, IReadOnlyList<object> objects) => (Overlay, Objects) = (overlay, objects);

    private static readonly Dictionary<string, Manifests> Cache = [];

    public static Manifests Render(string overlay)
    {
        lock (Cache)
        {
            if (Cache.TryGetValue(overlay, out var cached)) return cached;
            var yaml = Kubectl("kustomize", Path.Combine(RepositoryRoot, "k8s", "overlays", overlay));
            return Cache[overlay] = new Manifests(overlay, KubernetesYaml.LoadAllFromString(yaml));
        }
    }

    public IEnumerable<T> OfType<T>() => Objects.OfType<T>();

    /// <summary>Kimi's workloads (every Deployment whose pods carry app.kubernetes.io/name=kimi), by name.</summary>
    public IReadOnlyDictionary<string, V1Deployment> Workloads => OfType<V1Deployment>()
        .Where(d => d.Spec.Template.Metadata.Labels.TryGetValue("app.kubernetes.io/name", out var n) && n == "kimi")
        .ToDictionary(d => d.Metadata.Name);

    /// <summary>Every pod template in the overlay (Kimi's and the database's).</summary>
    public IEnumerable<(string Owner, V1PodTemplateSpec Template)> PodTemplates =>
        OfType<V1Deployment>().Select(d => (d.Metadata.Name, d.Spec.Template))
            .Concat(OfType<V1StatefulSet>().Select(s => (s.Metadata.Name, s.Spec.Template)));

    /// <summary>The configuration a pod of the manifests runs with: the shipped node layers and hocon/kubernetes.conf.</summary>
    public static Config KubernetesConfig() => KimiConfigLoader.Load(null, [Path.Combine(RepositoryRoot, "hocon", "kubernetes.conf")], [],
        Commands.TrainCommand.NodeLayers.Where(l => l != "hocon/local-node.conf"));

    public static string Kubectl(params string[] args)
    {
        var info = new ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        Process process;
        try { process = Process.Start(info)!; }
        catch (System.ComponentModel.Win32Exception e) { throw new InvalidOperationException("kubectl is not on PATH (.ci/run installs it)", e); }
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(true);
            throw new TimeoutException($"kubectl {string.Join(' ', args)} did not finish within 60 s");
        }
        if (process.ExitCode != 0) throw new InvalidOperationException($"kubectl {string.Join(' ', args)} exited {process.ExitCode}: {stderr.Result}");
        return stdout.Result;
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Kimi.Actors.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("no Kimi.Actors.sln above " + AppContext.BaseDirectory);
    }
}
