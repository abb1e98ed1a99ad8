using System.Globalization;
using Akka.Actor;
using Kimi.Actors.Cluster.Node;

namespace Kimi.Actors.Cluster.Management.Control;

/// <summary>
/// A cluster node a client reaches first (<c>HOST:PORT</c>, the node's Akka remoting address): the cluster client asks its
/// receptionist for the others. IPv6 hosts are written in brackets (<c>[::1]:4053</c>).
/// </summary>
public readonly record struct ContactPoint(string Host, int Port)
{
    public const string Format = "HOST:PORT, e.g. 127.0.0.1:4053";

    /// <summary>The receptionist of the node, as the cluster client addresses it.</summary>
    public ActorPath ReceptionistPath(string systemName = KimiNode.SystemName) =>
        ActorPath.Parse($"akka.tcp://{systemName}@{(Host.Contains(':') ? $"[{Host}]" : Host)}:{Port.ToString(CultureInfo.InvariantCulture)}/system/receptionist");

    public bool IsLoopback => Host is "localhost" || (System.Net.IPAddress.TryParse(Host, out var ip) && System.Net.IPAddress.IsLoopback(ip));

    public override string ToString() => Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    /// <exception cref="FormatException">Not HOST:PORT with a port in 1..65535; the message names the text.</exception>
    public static ContactPoint Parse(string text) =>
        TryParse(text, out var contact, out var problem) ? contact : throw new FormatException(problem);

    public static bool TryParse(string? text, out ContactPoint contact, out string? problem)
    {
        contact = default;
        problem = null;
        text = text?.Trim() ?? "";
        string host, port;
        if (text.StartsWith('['))
        {
            int close = text.IndexOf("]:", StringComparison.Ordinal);
            if (close < 0) { problem = $"'{text}': expected [IPV6]:PORT"; return false; }
            (host, port) = (text[1..close], text[(close + 2)..]);
        }
        else
        {
            int colon = text.LastIndexOf(':');
            if (colon <= 0 || text.IndexOf(':') != colon) { problem = $"'{text}': expected {Format}"; return false; }
            (host, port) = (text[..colon], text[(colon + 1)..]);
        }
        if (host.Length == 0 || host.Any(c => char.IsWhiteSpace(c) || c is '/' or '@'))
        {
            problem = $"'{text}': '{host}' is not a host name or address (expected {Format})";
            return false;
        }
        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out int p) || p is < 1 or > 65535)
        {
            problem = $"'{text}': port '{port}' is not a number in 1..65535";
            return false;
        }
        contact = new ContactPoint(host, p);
        return true;
    }
}
