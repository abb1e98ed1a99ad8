using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Kimi.Actors.Rl.Identity;

namespace Kimi.Actors.Cluster.WeightSync;

/// <summary>
/// The trainer's node's weight server: serves the published files under a root (<see cref="SharedFileWeightStore"/>'s
/// layout) as <c>GET /weights/&lt;run&gt;/v&lt;version&gt;.safetensors</c>, whole or by byte range (<c>Range: bytes=a-</c> or
/// <c>a-b</c>; 206 with Content-Range), so a pull that broke off resumes where it was. Only that path is served: the run
/// id must satisfy <see cref="RunId"/>'s rule and the version must be a number, so no request names another file. A
/// version that is not there (pruned, or never published here) is 404 with the newest version in
/// <c>X-Kimi-Latest-Version</c>. Built on the BCL's <see cref="HttpListener"/> (no web framework needed for one route).
/// </summary>
public sealed class HttpWeightServer : IDisposable
{
    public const string PathPrefix = "/weights/";
    public const string LatestVersionHeader = "X-Kimi-Latest-Version";

    private readonly HttpListener _listener;
    private readonly SharedFileWeightStore _files;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _requests;
    private int _disposed;

    private HttpWeightServer(HttpListener listener, SharedFileWeightStore files, string baseUrl)
    {
        _listener = listener;
        _files = files;
        BaseUrl = baseUrl;
        _loop = Task.Run(AcceptLoop);
    }

    /// <summary>e.g. <c>http://127.0.0.1:41234</c>: what <see cref="HttpWeightStore"/> puts in front of each file's path.</summary>
    public string BaseUrl { get; }

    /// <summary>Requests answered so far (any status).</summary>
    public long Requests => Interlocked.Read(ref _requests);

    public string Root => _files.Root;

    /// <summary>Starts serving <paramref name="root"/> on <paramref name="host"/>:<paramref name="port"/> (0: a free port).</summary>
    /// <param name="advertiseHost">The host in <see cref="BaseUrl"/>; null: <paramref name="host"/>, or this machine's name for 0.0.0.0.</param>
    /// <exception cref="WeightSyncException">The address cannot be bound.</exception>
    public static HttpWeightServer Start(string root, string host = "127.0.0.1", int port = 0, string? advertiseHost = null)
    {
        var files = new SharedFileWeightStore(root, "http");
        // HttpListener takes no port 0: probe a free one and bind it, again if another process took it meanwhile.
        Exception? last = null;
        for (int attempt = 0; attempt < (port == 0 ? 5 : 1); attempt++)
        {
            int p = port == 0 ? FreePort(host) : port;
            var listener = new HttpListener();
            var prefixHost = host is "0.0.0.0" or "*" or "+" ? "+" : host;
            listener.Prefixes.Add($"http://{prefixHost}:{p.ToString(CultureInfo.InvariantCulture)}{PathPrefix}");
            try
            {
                listener.Start();
                var shown = advertiseHost ?? (prefixHost == "+" ? Dns.GetHostName() : host);
                return new HttpWeightServer(listener, files, $"http://{shown}:{p.ToString(CultureInfo.InvariantCulture)}");
            }
            catch (HttpListenerException e)
            {
                last = e;
                listener.Close();
            }
        }
        throw new WeightSyncException($"http://{host}:{port}{PathPrefix}", 0,
            $"the weight server cannot listen there ({last?.Message}); check kimi.workers.weights.http.host and port");
    }

    private static int FreePort(string host)
    {
        var address = IPAddress.TryParse(host, out var ip) ? ip : IPAddress.Loopback;
        using var probe = new TcpListener(address.Equals(IPAddress.Any) ? IPAddress.Any : address, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try { context = await _listener.GetContextAsync().ConfigureAwait(false); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            // Each request on its own task: several generators pull at once, and a slow one holds nobody up.
            _ = Task.Run(() => Serve(context));
        }
    }

    private async Task Serve(HttpListenerContext context)
    {
        var response = context.Response;
        try
        {
            Interlocked.Increment(ref _requests);
            if (context.Request.HttpMethod is not ("GET" or "HEAD"))
            {
                await Plain(response, HttpStatusCode.MethodNotAllowed, "only GET and HEAD").ConfigureAwait(false);
                return;
            }
            if (!TryParse(context.Request.Url?.AbsolutePath, out var runId, out long version))
            {
                await Plain(response, HttpStatusCode.NotFound, $"not a weights path: expected {PathPrefix}<run>/v<version>.safetensors").ConfigureAwait(false);
                return;
            }
            var latest = _files.LatestVersion(runId);
            if (latest is { } l) response.Headers[LatestVersionHeader] = l.ToString(CultureInfo.InvariantCulture);
            FileStream file;
            try { file = new FileStream(_files.PathOf(runId, version), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.SequentialScan); }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                await Plain(response, HttpStatusCode.NotFound, latest is null
                    ? $"run {runId} has no weights here"
                    : $"version {version} of run {runId} is not served here (newest: {latest}){(version < latest ? "; older versions are pruned" : "")}").ConfigureAwait(false);
                return;
            }
            await using (file)
                await SendFile(context, file).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The client went away mid-transfer (or the server is stopping): nothing to answer. If nothing was sent yet,
            // say so, so that closing the response cannot read as a 200 with an empty body.
            try { response.StatusCode = (int)HttpStatusCode.ServiceUnavailable; }
            catch (Exception again) when (again is InvalidOperationException or ObjectDisposedException or HttpListenerException) { }
        }
        finally
        {
            try { response.Close(); } catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { }
        }
    }

    private static async Task SendFile(HttpListenerContext context, FileStream file)
    {
        var response = context.Response;
        long length = file.Length;
        long from = 0, to = length - 1;
        response.ContentType = "application/octet-stream";
        response.Headers["Accept-Ranges"] = "bytes";
        if (context.Request.Headers["Range"] is { } range)
        {
            if (!TryParseRange(range, length, out from, out to))
            {
                response.StatusCode = (int)HttpStatusCode.RequestedRangeNotSatisfiable;
                response.Headers["Content-Range"] = $"bytes */{length}";
                return;
            }
            response.StatusCode = (int)HttpStatusCode.PartialContent;
            response.Headers["Content-Range"] = $"bytes {from}-{to}/{length}";
        }
        long count = to - from + 1;
        response.ContentLength64 = count;
        if (context.Request.HttpMethod == "HEAD") return;
        file.Position = from;
        var buffer = new byte[1 << 20];
        var output = response.OutputStream;
        while (count > 0)
        {
            int n = await file.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, count))).ConfigureAwait(false);
            if (n == 0) break; // the file was cut short under us: the client sees a short body and retries
            await output.WriteAsync(buffer.AsMemory(0, n)).ConfigureAwait(false);
            count -= n;
        }
    }

    /// <summary><c>bytes=a-</c>, <c>bytes=a-b</c> or <c>bytes=-n</c> (one range) within a file of <paramref name="length"/> bytes.</summary>
    internal static bool TryParseRange(string header, long length, out long from, out long to)
    {
        from = 0;
        to = length - 1;
        const string unit = "bytes=";
        if (!header.StartsWith(unit, StringComparison.OrdinalIgnoreCase) || header.Contains(',')) return false;
        var spec = header[unit.Length..].Trim();
        int dash = spec.IndexOf('-');
        if (dash < 0) return false;
        var (a, b) = (spec[..dash].Trim(), spec[(dash + 1)..].Trim());
        static bool Num(string s, out long v) => long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out v);
        if (a.Length == 0)
        {
            if (!Num(b, out long suffix) || suffix == 0) return false;
            from = Math.Max(0, length - suffix);
            return length > 0;
        }
        if (!Num(a, out from) || from >= length) return false;
        if (b.Length > 0)
        {
            if (!Num(b, out long end) || end < from) return false;
            to = Math.Min(end, length - 1);
        }
        return true;
    }

    /// <summary><c>/weights/&lt;run&gt;/v&lt;version&gt;.safetensors</c>; nothing else.</summary>
    internal static bool TryParse(string? path, out RunId runId, out long version)
    {
        runId = default;
        version = 0;
        if (path is null || !path.StartsWith(PathPrefix, StringComparison.Ordinal)) return false;
        var parts = path[PathPrefix.Length..].Split('/');
        const string extension = ".safetensors";
        return parts.Length == 2 && RunId.TryParse(Uri.UnescapeDataString(parts[0]), out runId, out _)
            && parts[1].StartsWith('v') && parts[1].EndsWith(extension, StringComparison.Ordinal)
            && long.TryParse(parts[1].AsSpan(1, parts[1].Length - 1 - extension.Length), NumberStyles.None, CultureInfo.InvariantCulture, out version);
    }

    private static async Task Plain(HttpListenerResponse response, HttpStatusCode status, string text)
    {
        response.StatusCode = (int)status;
        response.ContentType = "text/plain; charset=utf-8";
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        response.ContentLength64 = bytes.Length;
        await response.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _stop.Cancel();
        try { _listener.Stop(); } catch (ObjectDisposedException) { }
        _listener.Close();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
        _stop.Dispose();
    }
}
