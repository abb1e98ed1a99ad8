using System.Diagnostics;
using System.Globalization;

namespace Kimi.Actors.Host.Chaos;

/// <summary>
/// A private network on this machine for the partition scenario: a bridge in this namespace (10.213.N.1/24) and one
/// network namespace per node, each joined to the bridge by a veth pair (10.213.N.(10+i)), with a route back through
/// the bridge. Cutting a node takes its veth down: its packets go nowhere, exactly like a broken link, while the node
/// and the database keep running. Only these addresses are ever used; everything is removed at the end.
/// </summary>
public sealed class NetworkNamespaces : IDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);
    private readonly string _prefix;
    private readonly int _subnet;
    private readonly List<string> _namespaces = [];
    private bool _bridge;

    /// <summary>This machine's end of the bridge: where the database listens and clients connect from.</summary>
    public string BridgeAddress => $"10.213.{_subnet.ToString(CultureInfo.InvariantCulture)}.1";

    private string Bridge => $"{_prefix}br";

    private NetworkNamespaces(string prefix, int subnet) => (_prefix, _subnet) = (prefix, subnet);

    /// <summary>Creates the bridge. Needs root (CAP_NET_ADMIN) and the <c>ip</c> program.</summary>
    /// <exception cref="ScenarioUnavailableException">Network namespaces cannot be made here; the message says why.</exception>
    public static NetworkNamespaces Create()
    {
        if (!OperatingSystem.IsLinux()) throw new ScenarioUnavailableException("network namespaces need Linux");
        if (Environment.UserName != "root") throw new ScenarioUnavailableException("network namespaces need root (CAP_NET_ADMIN); run kimi chaos as root");
        // A short, unique prefix: interface names have at most 15 characters.
        var tag = (Environment.ProcessId % 10000).ToString("D4", CultureInfo.InvariantCulture);
        int subnet = 1 + Environment.ProcessId % 250;
        var net = new NetworkNamespaces($"kc{tag}", subnet);
        try
        {
            // Only addresses nothing on this machine uses: a 10.213.N.0/24 that some interface has already is refused.
            if (net.Ip("-o", "-4", "addr", "show").Contains($"10.213.{subnet.ToString(CultureInfo.InvariantCulture)}.", StringComparison.Ordinal))
                throw new InvalidOperationException($"10.213.{subnet}.0/24 is in use on this machine");
            net.Ip("link", "add", net.Bridge, "type", "bridge");
            net._bridge = true;
            net.Ip("addr", "add", $"{net.BridgeAddress}/24", "dev", net.Bridge);
            net.Ip("link", "set", net.Bridge, "up");
        }
        catch (InvalidOperationException e)
        {
            net.Dispose();
            throw new ScenarioUnavailableException($"cannot make a network bridge here (ip link add ... type bridge): {e.Message}");
        }
        return net;
    }

    /// <summary>The address of node <paramref name="index"/> inside its namespace.</summary>
    public string AddressOf(int index) => $"10.213.{_subnet.ToString(CultureInfo.InvariantCulture)}.{(10 + index).ToString(CultureInfo.InvariantCulture)}";

    public string NamespaceOf(int index) => $"{_prefix}n{index.ToString(CultureInfo.InvariantCulture)}";

    private string HostEnd(int index) => $"{_prefix}h{index.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Makes node <paramref name="index"/>'s namespace, linked to the bridge, loopback up (its worker processes use it).</summary>
    public string AddNode(int index)
    {
        var ns = NamespaceOf(index);
        try
        {
            Ip("netns", "add", ns);
            _namespaces.Add(ns);
            Ip("link", "add", HostEnd(index), "type", "veth", "peer", "name", "eth0", "netns", ns);
            Ip("link", "set", HostEnd(index), "master", Bridge);
            Ip("link", "set", HostEnd(index), "up");
            Ip("-n", ns, "addr", "add", $"{AddressOf(index)}/24", "dev", "eth0");
            Ip("-n", ns, "link", "set", "eth0", "up");
            Ip("-n", ns, "link", "set", "lo", "up");
            Ip("-n", ns, "route", "add", "default", "via", BridgeAddress);
        }
        catch (InvalidOperationException e) { throw new ScenarioUnavailableException($"cannot make network namespace {ns}: {e.Message}"); }
        return ns;
    }

    /// <summary>
    /// Cuts node <paramref name="index"/> off (its link goes down) or joins it again. Joined again, its namespace forgets
    /// the neighbours it failed to reach while cut off (else the kernel answers "no route to host" for a while), and
    /// this waits until <paramref name="probeHost"/>:<paramref name="probePort"/> answers from inside it (at most 30 s).
    /// </summary>
    public void SetLink(int index, bool up, string? probeHost = null, int probePort = 0)
    {
        Ip("link", "set", HostEnd(index), up ? "up" : "down");
        if (!up) return;
        Ip("-n", NamespaceOf(index), "neigh", "flush", "all");
        if (probeHost is null) return;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                Ip("netns", "exec", NamespaceOf(index), "timeout", "2", "bash", "-c",
                    $"</dev/tcp/{probeHost}/{probePort.ToString(CultureInfo.InvariantCulture)}");
                return;
            }
            catch (InvalidOperationException) when (DateTime.UtcNow < deadline) { Thread.Sleep(500); }
        }
    }

    /// <summary>The command prefix that runs a program inside node <paramref name="index"/>'s namespace (ip execs the program: same pid).</summary>
    public IReadOnlyList<string> Exec(int index) => ["ip", "netns", "exec", NamespaceOf(index)];

    public void Dispose()
    {
        foreach (var ns in _namespaces) TryIp("netns", "del", ns);   // removes the veth pairs with them
        _namespaces.Clear();
        if (_bridge) TryIp("link", "del", Bridge);
        _bridge = false;
    }

    private void TryIp(params string[] args)
    {
        try { Ip(args); }
        catch (InvalidOperationException) { }
    }

    /// <summary>Runs <c>ip ARGS</c>; returns its output. Throws <see cref="InvalidOperationException"/> with ip's message when it fails.</summary>
    private string Ip(params string[] args)
    {
        var info = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in args) info.ArgumentList.Add(a);
        Process process;
        try { process = Process.Start(info)!; }
        catch (System.ComponentModel.Win32Exception e) { throw new InvalidOperationException($"the ip program is not available: {e.Message}"); }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(CommandTimeout)) { process.Kill(); throw new InvalidOperationException($"ip {string.Join(' ', args)} timed out"); }
            if (process.ExitCode != 0) throw new InvalidOperationException($"ip {string.Join(' ', args)}: {stderr.Result.Trim()}");
            return stdout.Result;
        }
    }
}
