using System.Collections.Immutable;
using System.Net;
using Akka.Actor;
using Akka.Cluster;
using Akka.Management.Cluster.Bootstrap.ContactPoint;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Newtonsoft.Json;

namespace Kimi.Actors.Cluster.Management;

/// <summary>
/// The node's management endpoint, on Kestrel: <c>GET /healthz/ready</c> and <c>GET /healthz/live</c> (200, or 503 with
/// a JSON reason), <c>GET /metrics</c> (Prometheus text) and Cluster Bootstrap's contact point
/// <c>GET /bootstrap/seed-nodes</c>. Akka.Management's own server cannot run here: Akka.Http.Shim 1.5.73 calls a
/// Ceen.Httpd 0.9.9 method that the only Ceen.Httpd on the package feed (0.9.10) no longer has (MissingMethodException
/// at bind), so Kimi hosts the routes and answers the contact point exactly as Akka.Management does (its own JSON
/// types, serialized with Newtonsoft.Json as its route does). Answers come from snapshots; no request waits on a probe.
/// </summary>
internal sealed class ManagementServer : IAsyncDisposable
{
    public const string SeedNodesPath = "/bootstrap/seed-nodes";

    /// <summary>Akka.Management's ContactPointSettings.MaxSeedNodesToExpose (fixed there, not configurable).</summary>
    private const int MaxSeedNodesToExpose = 5;

    private readonly WebApplication _app;

    private ManagementServer(WebApplication app, Uri endpoint)
    {
        _app = app;
        Endpoint = endpoint;
    }

    /// <summary>The address others reach it at: <c>http://hostname:port/</c>, with the port actually bound.</summary>
    public Uri Endpoint { get; }

    /// <exception cref="IOException">The address cannot be bound (in use, not an address of this machine).</exception>
    public static async Task<ManagementServer> StartAsync(ActorSystem system, KimiManagement management, ManagementSettings settings)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k =>
        {
            var address = settings.BindHostname is "0.0.0.0" or "*" ? IPAddress.Any
                : IPAddress.TryParse(settings.BindHostname, out var ip) ? ip
                : Dns.GetHostAddresses(settings.BindHostname).First(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork);
            k.Listen(address, settings.Port);
            k.AddServerHeader = false;
        });
        var app = builder.Build();
        app.MapGet(ManagementSettings.ReadyPath, () => Health(management.Readiness()));
        app.MapGet(ManagementSettings.LivePath, () => Health(management.Liveness()));
        app.MapGet(ManagementSettings.MetricsPath, async (HttpContext context) =>
        {
            context.Response.ContentType = NodeMetrics.ContentType;
            context.Response.Headers.CacheControl = "no-store";
            await management.Metrics.ExportAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
        });
        app.MapGet(SeedNodesPath, () => Results.Text(SeedNodesJson(system, MaxSeedNodesToExpose), "application/json"));
        await app.StartAsync().ConfigureAwait(false);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .Select(a => new Uri(a).Port).First();
        var host = settings.Hostname.Contains(':') ? $"[{settings.Hostname}]" : settings.Hostname;
        return new ManagementServer(app, new Uri($"http://{host}:{bound}/"));
    }

    private static IResult Health(HealthVerdict verdict) =>
        Results.Text(verdict.Json, "application/json", statusCode: verdict.Ok ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);

    /// <summary>
    /// What Akka.Management's HttpClusterBootstrapRoutes answers: this node's address and up to
    /// <paramref name="max"/> reachable members that are Joining, Up or WeaklyUp (none while this node is leaving or gone),
    /// so another node's Cluster Bootstrap joins this cluster instead of forming one.
    /// </summary>
    public static string SeedNodesJson(ActorSystem system, int max)
    {
        var cluster = Akka.Cluster.Cluster.Get(system);
        var self = cluster.SelfMember;
        if (self.Status is MemberStatus.Leaving or MemberStatus.Exiting or MemberStatus.Down or MemberStatus.Removed)
            return JsonConvert.SerializeObject(new HttpBootstrapJsonProtocol.SeedNodes(self.UniqueAddress.Address,
                ImmutableList<HttpBootstrapJsonProtocol.ClusterMember>.Empty));
        var state = cluster.State;
        var members = state.Members
            .Where(m => !state.Unreachable.Contains(m))
            .Where(m => m.Status is MemberStatus.Joining or MemberStatus.Up or MemberStatus.WeaklyUp)
            .Take(max)
            .Select(m => new HttpBootstrapJsonProtocol.ClusterMember(m.UniqueAddress.Address, m.UniqueAddress.Uid, m.Status, m.Roles))
            .ToImmutableList();
        return JsonConvert.SerializeObject(new HttpBootstrapJsonProtocol.SeedNodes(self.UniqueAddress.Address, members));
    }

    public async ValueTask DisposeAsync()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        await _app.StopAsync(deadline.Token).ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
