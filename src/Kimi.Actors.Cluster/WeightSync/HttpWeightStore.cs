using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Runs;

namespace Kimi.Actors.Cluster.WeightSync;

/// <summary>
/// Weights across nodes: published as files under a local root (the same layout as <see cref="SharedFileWeightStore"/>,
/// which the node's <see cref="HttpWeightServer"/> serves) with locations <c>&lt;base-url&gt;/weights/&lt;run&gt;/v&lt;n&gt;.safetensors</c>;
/// fetched by pulling that URL. A pull is hashed as it arrives and only returned when size and SHA-256 match what
/// <see cref="WeightsPublished"/> says: a transfer that breaks off (connection reset, server gone, a stall past the stall
/// timeout, a short body) resumes with a range request from the last byte received; one whose hash differs starts
/// over; either is retried with back-off until the deadline, then refused. A version the server no longer has (pruned:
/// older than what it serves) is refused at once. Nothing unverified is ever returned, so nothing unverified is loaded.
/// </summary>
public sealed class HttpWeightStore : IWeightStore
{
    private static readonly HttpClient Client = new(new SocketsHttpHandler
    {
        // Pulls are long reads of one file; pooled connections are reused between them.
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        AutomaticDecompression = DecompressionMethods.None,
    })
    {
        Timeout = Timeout.InfiniteTimeSpan, // deadlines are the pull's own
    };

    private readonly SharedFileWeightStore _local;
    private readonly string _baseUrl;
    private readonly WeightPullOptions _pull;
    private long _attempts, _retries;

    /// <param name="root">Where this node keeps what it publishes (its server serves this folder).</param>
    /// <param name="baseUrl">The node's server as other nodes reach it, e.g. <c>http://trainer-0:41234</c>.</param>
    public HttpWeightStore(string root, string baseUrl, WeightPullOptions? pull = null)
    {
        _local = new SharedFileWeightStore(root, "http");
        _baseUrl = baseUrl.TrimEnd('/');
        _pull = pull ?? WeightPullOptions.Default;
    }

    public string Transport => "http";

    public string Root => _local.Root;

    /// <summary>HTTP requests made by pulls, and how many of them were retries (for tests and metrics).</summary>
    public (long Attempts, long Retries) PullStats => (Interlocked.Read(ref _attempts), Interlocked.Read(ref _retries));

    public string UrlOf(RunId runId, long version) => $"{_baseUrl}{HttpWeightServer.PathPrefix}{SharedFileWeightStore.RelativePath(runId, version)}";

    public WeightsPublished Publish(RunId runId, long version, byte[] safetensors)
    {
        var local = _local.Publish(runId, version, safetensors);
        return local with { Location = UrlOf(runId, version) };
    }

    public byte[] Fetch(WeightsPublished weights)
    {
        if (!Uri.TryCreate(weights.Location, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new WeightSyncException(weights.Location, weights.Version, "not an http location: publisher and reader use different weight transports");
        // This node's own publication (the trainer checkpointing what it published): read the file, verified the same way.
        if (weights.Location == UrlOf(weights.Run, weights.Version))
            return _local.Fetch(weights with { Location = _local.PathOf(weights.Run, weights.Version) });
        return PullAsync(uri, weights).GetAwaiter().GetResult();
    }

    public void Prune(RunId runId, long keepFrom) => _local.Prune(runId, keepFrom);

    public void Retract(RunId runId, long fromVersion) => _local.Retract(runId, fromVersion);

    public long? LatestVersion(RunId runId) => _local.LatestVersion(runId);

    /// <summary>
    /// What a pull holds so far: the bytes received in a row from the start. They are hashed on another thread a
    /// chunk behind the receive (each chunk after the previous one, so the digest is of the bytes in order): hashing
    /// in the receive loop cost as much as the transfer itself and halved the pull's throughput on an idle machine.
    /// </summary>
    private sealed class Received(long size) : IDisposable
    {
        private const int HashChunk = 4 << 20;
        public readonly byte[] Buffer = GC.AllocateUninitializedArray<byte>((int)size);
        private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        private Task _hashing = Task.CompletedTask;
        private long _handedToHash;
        public long Count { get; private set; }

        public void Append(int n)
        {
            Count += n;
            if (Count - _handedToHash >= HashChunk) HandToHash();
        }

        /// <summary>The SHA-256 of the <see cref="Count"/> bytes received, once every chunk is hashed; then starts over.</summary>
        public string Digest()
        {
            HandToHash();
            _hashing.GetAwaiter().GetResult();
            return Convert.ToHexStringLower(_hash.GetHashAndReset());
        }

        /// <summary>Drops everything received (and hashed) so far: the next byte is the file's first.</summary>
        public void Restart()
        {
            _hashing.GetAwaiter().GetResult();
            _hash.GetHashAndReset();
            Count = _handedToHash = 0;
        }

        private void HandToHash()
        {
            if (Count == _handedToHash) return;
            int from = (int)_handedToHash, length = (int)(Count - _handedToHash);
            _handedToHash = Count;
            var previous = _hashing;
            // The receive writes only past Count, so the chunk handed over is never written while it is hashed.
            _hashing = Task.Run(async () =>
            {
                await previous.ConfigureAwait(false);
                _hash.AppendData(Buffer, from, length);
            });
        }

        public void Dispose()
        {
            try { _hashing.GetAwaiter().GetResult(); }
            finally { _hash.Dispose(); }
        }
    }

    /// <summary>What a last attempt needs at least (a request on loopback takes milliseconds); less left and the pull is refused.</summary>
    private static readonly TimeSpan LastAttemptReserve = TimeSpan.FromMilliseconds(100);

    private async Task<byte[]> PullAsync(Uri uri, WeightsPublished weights)
    {
        if (weights.Bytes > Array.MaxLength)
            throw new WeightSyncException(weights.Location, weights.Version, $"{weights.Bytes} bytes is more than one array holds ({Array.MaxLength})");
        using var received = new Received(weights.Bytes);
        var clock = Stopwatch.StartNew();
        int attempt = 0;
        string problem = "";
        while (true)
        {
            attempt++;
            Interlocked.Increment(ref _attempts);
            if (attempt > 1) Interlocked.Increment(ref _retries);
            try
            {
                await Transfer(uri, weights, received, clock).ConfigureAwait(false);
                if (received.Count == weights.Bytes)
                {
                    var sha = received.Digest();
                    if (string.Equals(sha, weights.Sha256, StringComparison.OrdinalIgnoreCase)) return received.Buffer;
                    problem = $"SHA-256 mismatch: expected {weights.Sha256}, received {sha}";
                    received.Restart(); // corrupt somewhere: only a whole new copy can be trusted
                }
                else problem = $"truncated: the response ended after {received.Count} of {weights.Bytes} bytes";
            }
            catch (HttpRequestException e) { problem = $"request failed: {Describe(e)}"; }
            catch (IOException e) { problem = $"transfer broke off after {received.Count} of {weights.Bytes} bytes: {Describe(e)}"; }
            catch (TimeoutException e) { problem = e.Message; }
            var wait = TimeSpan.FromMilliseconds(Math.Min(2000, _pull.RetryDelay.TotalMilliseconds * (1 << Math.Min(attempt - 1, 10))));
            // The last retry waits only what is left, so a pull uses its whole deadline before it is refused.
            var left = _pull.Deadline - clock.Elapsed;
            if (wait > left) wait = left - LastAttemptReserve;
            if (wait < TimeSpan.Zero)
                throw new WeightSyncException(weights.Location, weights.Version,
                    $"not pulled within {_pull.Deadline.TotalSeconds:0.#} s ({attempt} attempts; kimi.workers.weights.http.deadline); last problem: {problem}; nothing was loaded");
            await Task.Delay(wait).ConfigureAwait(false);
        }
    }

    /// <summary>One request for the bytes after those <paramref name="received"/> holds, appending what arrives.</summary>
    private async Task Transfer(Uri uri, WeightsPublished weights, Received received, Stopwatch clock)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        if (received.Count > 0) request.Headers.Range = new RangeHeaderValue(received.Count, null);
        using var stall = new CancellationTokenSource(Remaining(clock, _pull.StallTimeout));
        HttpResponseMessage response;
        try { response = await Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, stall.Token).ConfigureAwait(false); }
        catch (OperationCanceledException) { throw new TimeoutException($"no answer from {uri.Authority} within {_pull.StallTimeout.TotalSeconds:0.#} s"); }
        using (response)
        {
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                var text = await ReadText(response).ConfigureAwait(false);
                var latest = response.Headers.TryGetValues(HttpWeightServer.LatestVersionHeader, out var v) ? v.FirstOrDefault() : null;
                throw new WeightSyncException(weights.Location, weights.Version,
                    $"not served: {text}{(latest is not null && long.TryParse(latest, out long l) && l > weights.Version ? " (versions never go backwards: load the newest)" : "")}");
            }
            // The server ignored the range: take the whole body from the start.
            if (received.Count > 0 && response.StatusCode != HttpStatusCode.PartialContent) received.Restart();
            if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.PartialContent))
                throw new HttpRequestException($"HTTP {(int)response.StatusCode} {response.ReasonPhrase}: {await ReadText(response).ConfigureAwait(false)}");
            long total = response.Content.Headers.ContentRange?.Length
                ?? received.Count + (response.Content.Headers.ContentLength ?? weights.Bytes - received.Count);
            if (total != weights.Bytes)
                throw new WeightSyncException(weights.Location, weights.Version,
                    $"size mismatch: expected {weights.Bytes} bytes, the server has {total} (another publication of this version?)");

            await using var body = await response.Content.ReadAsStreamAsync().ConfigureAwait(false);
            var buffer = received.Buffer;
            while (received.Count < buffer.Length)
            {
                stall.CancelAfter(Remaining(clock, _pull.StallTimeout));
                int n;
                try { n = await body.ReadAsync(buffer.AsMemory((int)received.Count, (int)Math.Min(1 << 20, buffer.Length - received.Count)), stall.Token).ConfigureAwait(false); }
                catch (OperationCanceledException)
                {
                    throw new TimeoutException($"stalled: no byte from {uri.Authority} for {_pull.StallTimeout.TotalSeconds:0.#} s after {received.Count} of {weights.Bytes}");
                }
                if (n == 0) break;
                received.Append(n);
            }
        }
    }

    /// <summary>The stall timeout, but never past the pull's deadline.</summary>
    private TimeSpan Remaining(Stopwatch clock, TimeSpan stall)
    {
        var left = _pull.Deadline - clock.Elapsed;
        return left <= TimeSpan.Zero ? TimeSpan.FromMilliseconds(1) : left < stall ? left : stall;
    }

    private static async Task<string> ReadText(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        return text.Length > 300 ? text[..300] : text;
    }

    private static string Describe(Exception e) => e.InnerException is { } inner && !e.Message.Contains(inner.Message) ? $"{e.Message} ({inner.Message})" : e.Message;
}
