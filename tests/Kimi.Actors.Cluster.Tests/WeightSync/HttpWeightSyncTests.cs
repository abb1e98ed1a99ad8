using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Kimi.Actors.Cluster.Tests.Workers;
using Kimi.Actors.Cluster.WeightSync;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Runs;

namespace Kimi.Actors.Cluster.Tests.WeightSync;

/// <summary>
/// Weights over real HTTP on loopback: the trainer's node (<see cref="HttpWeightServer"/> over its root) publishes, a
/// generator's node (another <see cref="HttpWeightStore"/> with a root of its own) pulls. Faults are injected by a TCP
/// proxy between them (a flipped byte, a cut-off body, the server gone for a while) or on the server's disk, and each
/// test asserts that its fault fired: the pull either returns exactly the published bytes or refuses, never anything else.
/// </summary>
public sealed class HttpWeightSyncTests : IDisposable
{
    private static readonly RunId Run = RunId.Parse("run-http");
    private static readonly WeightPullOptions Quick = new(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(50));
    private readonly TempFolder _trainerRoot = new(), _generatorRoot = new();
    private readonly HttpWeightServer _server;
    private readonly HttpWeightStore _trainer;

    public HttpWeightSyncTests()
    {
        _server = HttpWeightServer.Start(_trainerRoot.Path);
        _trainer = new HttpWeightStore(_trainerRoot.Path, _server.BaseUrl, Quick);
    }

    public void Dispose()
    {
        _server.Dispose();
        _trainerRoot.Dispose();
        _generatorRoot.Dispose();
    }

    private static byte[] Bytes(int n, int seed) => new Random(seed).GetItems<byte>(Enumerable.Range(0, 256).Select(i => (byte)i).ToArray(), n);

    private HttpWeightStore Generator(WeightPullOptions? pull = null) => new(_generatorRoot.Path, "http://generator.invalid:1", pull ?? Quick);

    /// <summary>The same publication as seen through <paramref name="proxy"/>.</summary>
    private static WeightsPublished Via(WeightsPublished w, FaultProxy proxy) =>
        w with { Location = w.Location.Replace(new Uri(w.Location).Authority, $"127.0.0.1:{proxy.Port}") };

    [Fact]
    public void A_generator_pulls_exactly_the_published_bytes_and_the_server_answers_ranges()
    {
        var bytes = Bytes(3_000_000, 1);
        var published = _trainer.Publish(Run, 4, bytes);
        Assert.Equal($"{_server.BaseUrl}/weights/run-http/v4.safetensors", published.Location);
        Assert.Equal((3_000_000L, 4L), (published.Bytes, published.Version));

        var generator = Generator();
        Assert.Equal(bytes, generator.Fetch(published));
        Assert.Equal((1L, 0L), generator.PullStats);
        // Only the trainer's root holds the file: the generator pulled it.
        Assert.Null(generator.LatestVersion(Run));

        using var client = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, published.Location);
        request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(1000, 1009);
        using var response = client.Send(request);
        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal("bytes 1000-1009/3000000", response.Content.Headers.ContentRange!.ToString());
        Assert.Equal(bytes[1000..1010], response.Content.ReadAsByteArrayAsync().Result);
    }

    [Fact]
    public void A_byte_corrupted_in_transit_is_caught_by_the_hash_and_the_pull_starts_over()
    {
        var bytes = Bytes(2_000_000, 2);
        var published = _trainer.Publish(Run, 1, bytes);
        using var proxy = new FaultProxy(new Uri(_server.BaseUrl).Port) { FlipBodyByteAt = 1_234_567, FaultyConnections = 1 };

        var generator = Generator();
        Assert.Equal(bytes, generator.Fetch(Via(published, proxy)));
        Assert.Equal(1, proxy.FaultsInjected);
        Assert.Equal((2L, 1L), generator.PullStats);
        // A wrong hash leaves no byte worth keeping: the second request asks for the whole file again.
        Assert.Equal([null, null], proxy.RangeHeaders);
    }

    [Fact]
    public void A_truncated_body_is_resumed_with_a_range_request_from_the_last_byte_received()
    {
        var bytes = Bytes(4_000_000, 3);
        var published = _trainer.Publish(Run, 1, bytes);
        using var proxy = new FaultProxy(new Uri(_server.BaseUrl).Port) { CutBodyAfter = 1_500_000, FaultyConnections = 1 };

        var generator = Generator();
        Assert.Equal(bytes, generator.Fetch(Via(published, proxy)));
        Assert.Equal(1, proxy.FaultsInjected);
        var ranges = proxy.RangeHeaders;
        Assert.Equal(2, ranges.Count);
        Assert.Null(ranges[0]);
        // The cut came after at least the bytes the proxy let through, possibly fewer reached the reader.
        long resumedAt = long.Parse(ranges[1]!["bytes=".Length..].TrimEnd('-'));
        Assert.InRange(resumedAt, 1, 1_500_000);
    }

    [Fact]
    public void A_server_gone_mid_transfer_is_retried_until_it_is_back_and_the_pull_resumes()
    {
        var bytes = Bytes(4_000_000, 4);
        var published = _trainer.Publish(Run, 1, bytes);
        int port = new Uri(_server.BaseUrl).Port;
        HttpWeightServer? restarted = null;
        using var proxy = new FaultProxy(port) { CutBodyAfter = 1_000_000, FaultyConnections = 1 };
        // At the cut the server really stops; it comes back on the same port (a restarted node) 1 s later.
        proxy.OnFault = () =>
        {
            _server.Dispose();
            Task.Delay(1000).ContinueWith(_ => restarted = HttpWeightServer.Start(_trainerRoot.Path, port: port));
        };
        try
        {
            var clock = Stopwatch.StartNew();
            Assert.Equal(bytes, Generator().Fetch(Via(published, proxy)));
            Assert.True(clock.Elapsed > TimeSpan.FromSeconds(0.9), "the pull cannot have finished before the server was back");
            Assert.NotNull(restarted);
            Assert.Equal(1, proxy.FaultsInjected);
            Assert.True(proxy.RefusedConnections >= 1, "the pull should have found the server gone at least once");
            Assert.StartsWith("bytes=", proxy.RangeHeaders[^1]);
        }
        finally
        {
            restarted?.Dispose();
        }
    }

    [Fact]
    public void A_file_damaged_on_the_server_is_refused_at_the_deadline_and_nothing_is_returned()
    {
        var bytes = Bytes(100_000, 5);
        var published = _trainer.Publish(Run, 1, bytes);
        var file = Path.Combine(_trainerRoot.Path, "run-http", "v1.safetensors");
        var damaged = (byte[])bytes.Clone();
        damaged[50_000] ^= 0xFF;
        File.WriteAllBytes(file, damaged);

        var clock = Stopwatch.StartNew();
        var error = Assert.Throws<WeightSyncException>(() =>
            Generator(new WeightPullOptions(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1))).Fetch(published));
        // Refused at the deadline (2 s), not one backoff step before it: after the first retry (at 1 s) the next step
        // (2 s) would pass the deadline, so the last retry waits only what is left, less its 0.1 s reserve.
        Assert.InRange(clock.Elapsed.TotalSeconds, 1.9, 10);
        Assert.Contains("SHA-256 mismatch", error.Message);
        Assert.Contains("nothing was loaded", error.Message);
        Assert.Contains(published.Location, error.Message);
    }

    [Fact]
    public void An_old_version_is_refused_at_once_naming_the_newest_one()
    {
        var v1 = _trainer.Publish(Run, 1, Bytes(1000, 6));
        _trainer.Publish(Run, 2, Bytes(1000, 7));
        _trainer.Publish(Run, 3, Bytes(1000, 8));
        _trainer.Prune(Run, 3);

        var clock = Stopwatch.StartNew();
        var error = Assert.Throws<WeightSyncException>(() => Generator().Fetch(v1));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed.TotalSeconds:F1} s: a 404 is not retried");
        Assert.Contains("version 1 of run run-http is not served here (newest: 3)", error.Message);
        Assert.Contains("versions never go backwards", error.Message);
        // And the trainer's own store refuses to publish below what it has.
        Assert.Throws<WeightSyncException>(() => _trainer.Publish(Run, 2, Bytes(10, 9)));
    }

    [Fact]
    public void Only_weights_paths_are_served()
    {
        File.WriteAllText(Path.Combine(_trainerRoot.Path, "secret.txt"), "not for you");
        using var client = new HttpClient();
        foreach (var path in new[] { "/weights/../secret.txt", "/weights/run-http/secret.txt", "/weights/%2e%2e/v1.safetensors", "/secret.txt" })
        {
            using var response = client.Send(new HttpRequestMessage(HttpMethod.Get, _server.BaseUrl + path));
            // Server header and body say who answered if another listener ever shares the port.
            Assert.True(response.StatusCode == HttpStatusCode.NotFound,
                $"{path}: {response.StatusCode} from '{response.Headers.Server}': '{response.Content.ReadAsStringAsync().GetAwaiter().GetResult()}'");
        }
        Assert.True(HttpWeightServer.TryParseRange("bytes=5-", 10, out long from, out long to));
        Assert.Equal((5L, 9L), (from, to));
        Assert.True(HttpWeightServer.TryParseRange("bytes=-3", 10, out from, out to));
        Assert.Equal((7L, 9L), (from, to));
        Assert.False(HttpWeightServer.TryParseRange("bytes=10-", 10, out _, out _));
        Assert.False(HttpWeightServer.TryParseRange("bytes=1-2,4-5", 10, out _, out _));
    }
}

/// <summary>
/// A TCP proxy on loopback in front of the weight server that injects one kind of fault into the first
/// <see cref="FaultyConnections"/> responses and counts what it did. It reads each request's headers as they pass
/// (to record its Range header) and finds the response body after the first blank line.
/// </summary>
internal sealed class FaultProxy : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly List<string?> _ranges = [];
    private readonly CancellationTokenSource _stop = new();
    private int _connections, _faults, _refused;

    public FaultProxy(int targetPort)
    {
        _target = targetPort;
        _listener.Start();
        _ = Task.Run(Accept);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;
    public int FaultyConnections { get; init; }
    /// <summary>Flip this byte of the response body.</summary>
    public long? FlipBodyByteAt { get; init; }
    /// <summary>Close both connections after this many body bytes.</summary>
    public long? CutBodyAfter { get; init; }
    /// <summary>Runs when the fault fires (e.g. stop the server).</summary>
    public Action? OnFault { get; set; }

    public int FaultsInjected => Volatile.Read(ref _faults);
    /// <summary>Client connections the proxy closed at once because the server did not accept it.</summary>
    public int RefusedConnections => Volatile.Read(ref _refused);
    public IReadOnlyList<string?> RangeHeaders { get { lock (_ranges) return [.. _ranges]; } }

    private async Task Accept()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            _ = Task.Run(() => Relay(client, Interlocked.Increment(ref _connections) <= FaultyConnections));
        }
    }

    private async Task Relay(TcpClient client, bool faulty)
    {
        using var _ = client;
        using var server = new TcpClient();
        try { await server.ConnectAsync(IPAddress.Loopback, _target); }
        catch (SocketException)
        {
            Interlocked.Increment(ref _refused);
            return;
        }
        var fromClient = client.GetStream();
        var toServer = server.GetStream();
        // Requests are small: read the head, record the Range, pass it on; then relay the response with the fault.
        var head = await ReadHead(fromClient);
        if (head is null) return;
        var range = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Range:", StringComparison.OrdinalIgnoreCase))?["Range:".Length..].Trim();
        lock (_ranges) _ranges.Add(range);
        // One exchange per connection, so every request passes through here (and can be counted and faulted).
        await toServer.WriteAsync(Encoding.ASCII.GetBytes(head[..^2] + "Connection: close\r\n\r\n"));
        var buffer = new byte[64 * 1024];
        long bodyOffset = -1; // unknown until the response head has passed
        var seen = new List<byte>();
        try
        {
            while (true)
            {
                int n = await toServer.ReadAsync(buffer);
                if (n == 0) return;
                int start = 0;
                if (bodyOffset < 0)
                {
                    seen.AddRange(buffer.AsSpan(0, n).ToArray());
                    int end = IndexOfBlankLine(seen);
                    if (end < 0) { await fromClient.WriteAsync(buffer.AsMemory(0, n)); continue; }
                    start = end - (seen.Count - n); // where the body starts in this buffer
                    bodyOffset = 0;
                }
                long bodyBytes = n - start;
                if (faulty && FlipBodyByteAt is { } flip && flip >= bodyOffset && flip < bodyOffset + bodyBytes)
                {
                    buffer[start + (int)(flip - bodyOffset)] ^= 0x5A;
                    Fired();
                }
                if (faulty && CutBodyAfter is { } cut && bodyOffset + bodyBytes >= cut)
                {
                    await fromClient.WriteAsync(buffer.AsMemory(0, start + (int)(cut - bodyOffset)));
                    Fired();
                    client.Client.LingerState = new LingerOption(true, 0); // a reset, as a dying server leaves it
                    return;
                }
                await fromClient.WriteAsync(buffer.AsMemory(0, n));
                bodyOffset += bodyBytes;
            }
        }
        catch (IOException) { }
    }

    private void Fired()
    {
        Interlocked.Increment(ref _faults);
        OnFault?.Invoke();
    }

    private static async Task<string?> ReadHead(NetworkStream stream)
    {
        var bytes = new List<byte>();
        var one = new byte[1];
        while (IndexOfBlankLine(bytes) < 0)
        {
            if (await stream.ReadAsync(one) == 0) return null;
            bytes.Add(one[0]);
        }
        return Encoding.ASCII.GetString(bytes.ToArray());
    }

    /// <summary>The index just past the first CRLF CRLF, or -1.</summary>
    private static int IndexOfBlankLine(List<byte> bytes)
    {
        for (int i = 3; i < bytes.Count; i++)
            if (bytes[i - 3] == '\r' && bytes[i - 2] == '\n' && bytes[i - 1] == '\r' && bytes[i] == '\n') return i + 1;
        return -1;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
    }
}
