using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kimi.Actors.Cluster.WeightSync;
using Kimi.Actors.CommandLine;
using Kimi.Actors.Reporting;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Runs;

namespace Kimi.Bench.WeightSync;

/// <summary>
/// How fast published weights reach a generator, per transport, against a raw TCP copy of the same file over loopback
/// in the same process (the baseline: no protocol, no verification). Each size is published once per transport; a round
/// is one fetch as a generator does it (the bytes, verified by size and SHA-256). http: <see cref="HttpWeightServer"/> on
/// the publisher's root and an <see cref="HttpWeightStore"/> with a root of its own pulling over loopback; shm: the file
/// in /dev/shm read back; folder: the same on a disk folder; memory: the
/// bytes handed over inside the process (only the check is left to time). Publishing (writing the file) is timed separately.
/// </summary>
public static class WeightSyncBenchmark
{
    private static readonly RunId BenchRun = RunId.Parse("bench-weights");

    public static Command Create()
    {
        var sizes = CliOptions.Text("--sizes", "LIST", "comma-separated sizes in MB (10^6 bytes)", defaultValue: "10,100,1000");
        var rounds = CliOptions.Int("--rounds", "N", "measured fetches per transport and size (after one warm-up)", min: 1, defaultValue: 5);
        var folder = CliOptions.Text("--folder", "DIR", "disk folder for the folder transport (default: a temp folder)");
        var json = CliOptions.Text("--json", "FILE", "also write the results as JSON");
        var command = new Command("weight-sync", "weight sync: HTTP pull, shared memory, shared folder and in-process memory against a raw loopback socket copy")
        {
            sizes, rounds, folder, json,
        };
        command.SetAction(r => Run(r.GetValue(sizes)!, r.GetValue(rounds), r.GetValue(folder), r.GetValue(json)));
        return command;
    }

    private sealed record Row(long Bytes, string Transport, double PublishSeconds, LatencySummary Fetch)
    {
        public double MedianSeconds => Fetch.MedianUs / 1e6;
        public double MegabytesPerSecond => Bytes / 1e6 / MedianSeconds;
    }

    private static int Run(string sizeList, int rounds, string? folderArg, string? jsonPath)
    {
        var sizes = sizeList.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            // One array holds a file (as the transports do): at most 2000 MB.
            .Select(s => long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out long mb) && mb is > 0 and <= 2000 ? mb * 1_000_000
                : throw new UsageException($"weight-sync: --sizes {sizeList}: '{s}' is not a whole number of MB from 1 to 2000"))
            .ToList();
        var scratch = Path.Combine(Path.GetTempPath(), "kimi-bench-weights-" + Guid.NewGuid().ToString("N")[..8]);
        var shmRoot = Directory.Exists("/dev/shm") ? Path.Combine("/dev/shm", "kimi-bench-" + Guid.NewGuid().ToString("N")[..8]) : Path.Combine(scratch, "shm");
        var folderRoot = folderArg ?? Path.Combine(scratch, "folder");
        var rows = new List<Row>();
        try
        {
            using var server = HttpWeightServer.Start(shmRoot);
            var trainer = new HttpWeightStore(shmRoot, server.BaseUrl);
            var generator = new HttpWeightStore(Path.Combine(scratch, "generator"), "http://generator.invalid:1");
            var shm = new SharedFileWeightStore(shmRoot);
            var shared = new SharedFileWeightStore(folderRoot, "folder");
            var memory = new InMemoryWeightStore();
            long version = 0;
            foreach (long size in sizes)
            {
                // One source array per size: every transport moves the same bytes. Buffers of earlier sizes are gone.
                var bytes = GC.AllocateUninitializedArray<byte>(checked((int)size));
                new Random(1).NextBytes(bytes);
                version++;

                var (httpPublished, httpPublish) = Timed(() => trainer.Publish(BenchRun, version, bytes));
                var file = shm.PathOf(BenchRun, version);
                rows.Add(new Row(size, "raw socket (baseline)", 0, Measure(rounds, () => RawCopy(file, size))));
                rows.Add(new Row(size, "http", httpPublish, Measure(rounds, () => generator.Fetch(httpPublished).Length)));
                // shm and folder: the publisher's write and the reader's verified read (their own version numbers).
                version++;
                var (shmPublished, shmPublish) = Timed(() => shm.Publish(BenchRun, version, bytes));
                rows.Add(new Row(size, "shm", shmPublish, Measure(rounds, () => shm.Fetch(shmPublished).Length)));
                var (folderPublished, folderPublish) = Timed(() => shared.Publish(BenchRun, version, bytes));
                rows.Add(new Row(size, "folder", folderPublish, Measure(rounds, () => shared.Fetch(folderPublished).Length)));
                // memory: one process, no copy; what remains is the same size and SHA-256 check every transport does.
                var (memoryPublished, memoryPublish) = Timed(() => memory.Publish(BenchRun, version, bytes));
                rows.Add(new Row(size, "memory", memoryPublish, Measure(rounds, () => memory.Fetch(memoryPublished).Length)));
                memory.Prune(BenchRun, long.MaxValue);
                trainer.Prune(BenchRun, long.MaxValue);
                shm.Prune(BenchRun, long.MaxValue);
                shared.Prune(BenchRun, long.MaxValue);
            }
        }
        finally
        {
            foreach (var dir in new[] { shmRoot, scratch, folderArg is null ? null : Path.Combine(folderRoot, BenchRun.Value) })
                if (dir is not null && Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        Print(rows, rounds);
        if (jsonPath is not null) WriteJson(jsonPath, rows, rounds);
        return 0;
    }

    private static (T Result, double Seconds) Timed<T>(Func<T> action)
    {
        var clock = Stopwatch.StartNew();
        var result = action();
        return (result, clock.Elapsed.TotalSeconds);
    }

    private static LatencySummary Measure(int rounds, Func<long> fetch)
    {
        var ticks = new List<long>(rounds);
        for (int round = 0; round <= rounds; round++)
        {
            long start = Stopwatch.GetTimestamp();
            fetch();
            long elapsed = Stopwatch.GetTimestamp() - start;
            if (round > 0) ticks.Add(elapsed); // round 0 warms up connections, page cache and the JIT
        }
        return LatencySummary.FromTicks(ticks);
    }

    /// <summary>The baseline: the file's bytes through a loopback TCP connection into one array, nothing checked.</summary>
    private static long RawCopy(string file, long size)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var send = Task.Run(() =>
        {
            using var peer = listener.AcceptSocket();
            using var source = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            var chunk = new byte[1 << 20];
            int n;
            while ((n = source.Read(chunk)) > 0) peer.Send(chunk.AsSpan(0, n));
            peer.Shutdown(SocketShutdown.Send);
        });
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect((IPEndPoint)listener.LocalEndpoint);
        var buffer = GC.AllocateUninitializedArray<byte>((int)size);
        long received = 0;
        int r;
        while (received < size && (r = client.Receive(buffer.AsSpan((int)received, (int)Math.Min(1 << 20, size - received)))) > 0) received += r;
        send.Wait();
        return received == size ? received : throw new InvalidOperationException($"raw copy received {received} of {size} bytes");
    }

    private static void Print(List<Row> rows, int rounds)
    {
        var c = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(c, $"Weight sync on loopback: median of {rounds} verified fetches per transport and size (raw socket: unverified copy)"));
        var console = ReportConsole.For(Console.Out);
        var table = console.NewTable("size", "transport", "publish s", "fetch median s", "fetch p90 s", "MB/s", "vs raw");
        foreach (var group in rows.GroupBy(r => r.Bytes))
        {
            double raw = group.First().MegabytesPerSecond;
            foreach (var row in group)
                table.AddTextRow(Size(row.Bytes), row.Transport, row.PublishSeconds == 0 ? "-" : row.PublishSeconds.ToString("F3", c),
                    row.MedianSeconds.ToString("F3", c), (row.Fetch.P90Us / 1e6).ToString("F3", c), row.MegabytesPerSecond.ToString("F0", c),
                    (row.MegabytesPerSecond / raw).ToString("P0", c));
        }
        console.Write(table);
    }

    private static void WriteJson(string path, List<Row> rows, int rounds)
    {
        var json = new JsonObject
        {
            ["benchmark"] = "weight-sync",
            ["rounds"] = rounds,
            ["results"] = new JsonArray([.. rows.GroupBy(r => r.Bytes).SelectMany(g => g.Select(r => (JsonNode)new JsonObject
            {
                ["bytes"] = r.Bytes, ["transport"] = r.Transport, ["publish_s"] = Math.Round(r.PublishSeconds, 4),
                ["fetch_median_s"] = Math.Round(r.MedianSeconds, 4), ["fetch_p90_s"] = Math.Round(r.Fetch.P90Us / 1e6, 4),
                ["mb_per_s"] = Math.Round(r.MegabytesPerSecond, 1), ["vs_raw"] = Math.Round(r.MegabytesPerSecond / g.First().MegabytesPerSecond, 3),
            }))]),
        };
        File.WriteAllText(path, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    private static string Size(long bytes) => bytes >= 1_000_000_000 ? $"{bytes / 1e9:0.#} GB" : $"{bytes / 1e6:0} MB";
}
