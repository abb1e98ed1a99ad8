using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using k8s;
using k8s.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Kimi.Actors.Host.Tests.Kubernetes;

/// <summary>
/// A stand-in for the Kubernetes API server on loopback, for the one call pod discovery makes: <c>GET
/// /api/v1/namespaces/{namespace}/pods?labelSelector=...</c>, over HTTPS with its own CA certificate, answering only
/// a request with the service account's bearer token (401 otherwise), with the pods of that namespace whose labels
/// match the selector as a v1 PodList serialized by KubernetesClient's own JSON settings. Pods are made from pod
/// templates (the rendered manifests'), each with its own IP, Running.
/// </summary>
public sealed class KubernetesApiStandIn : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentBag<V1Pod> _pods = [];

    /// <summary>Every request: its path and query, and whether it carried the right token.</summary>
    public ConcurrentQueue<(string PathAndQuery, bool Authorized)> Requests { get; } = new();

    public string Token { get; } = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
    public string CaPem { get; }
    public int Port { get; }

    private KubernetesApiStandIn(WebApplication app, string caPem, int port) => (_app, CaPem, Port) = (app, caPem, port);

    public static async Task<KubernetesApiStandIn> StartAsync()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=kubernetes-api-stand-in", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow.AddHours(2));
        var serving = X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.UseHttps(serving)));
        var app = builder.Build();
        KubernetesApiStandIn? self = null;
        app.MapGet("/api/v1/namespaces/{ns}/pods", (string ns, HttpContext context) => self!.ListPods(ns, context));
        await app.StartAsync();
        int port = new Uri(app.Urls.First()).Port;
        self = new KubernetesApiStandIn(app, certificate.ExportCertificatePem(), port);
        return self;
    }

    /// <summary>Adds a running pod of <paramref name="template"/> in <paramref name="ns"/> with IP <paramref name="ip"/>.</summary>
    public void AddPod(string ns, string name, V1PodTemplateSpec template, string ip) => _pods.Add(new V1Pod
    {
        ApiVersion = "v1",
        Kind = "Pod",
        Metadata = new V1ObjectMeta
        {
            Name = name, NamespaceProperty = ns, Uid = Guid.NewGuid().ToString(), Labels = new Dictionary<string, string>(template.Metadata.Labels),
            Annotations = template.Metadata.Annotations, CreationTimestamp = DateTime.UtcNow,
        },
        Spec = template.Spec,
        Status = new V1PodStatus
        {
            Phase = "Running", PodIP = ip, PodIPs = [new V1PodIP { Ip = ip }], HostIP = "127.0.0.1",
            ContainerStatuses = template.Spec.Containers.Select(c => new V1ContainerStatus
            {
                Name = c.Name, Image = c.Image, ImageID = "", Ready = false, RestartCount = 0,
                State = new V1ContainerState { Running = new V1ContainerStateRunning { StartedAt = DateTime.UtcNow } },
            }).ToList(),
        },
    });

    private IResult ListPods(string ns, HttpContext context)
    {
        bool authorized = context.Request.Headers.Authorization == $"Bearer {Token}";
        Requests.Enqueue((context.Request.Path + context.Request.QueryString, authorized));
        if (!authorized)
            return Results.Text("""{"kind":"Status","apiVersion":"v1","status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}""",
                "application/json", statusCode: 401);
        var selector = context.Request.Query["labelSelector"].ToString();
        var match = selector.Length == 0 ? (Func<IDictionary<string, string>, bool>)(_ => true) : new LabelSelector(selector).Matches;
        var list = new V1PodList
        {
            ApiVersion = "v1", Kind = "PodList", Metadata = new V1ListMeta { ResourceVersion = "1" },
            Items = _pods.Where(p => p.Metadata.NamespaceProperty == ns && match(p.Metadata.Labels)).OrderBy(p => p.Metadata.Name).ToList(),
        };
        return Results.Text(KubernetesJson.Serialize(list), "application/json");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
