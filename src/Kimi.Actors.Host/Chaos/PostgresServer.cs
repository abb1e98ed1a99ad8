using System.Diagnostics;
using System.Globalization;

namespace Kimi.Actors.Host.Chaos;

/// <summary>
/// A throw-away PostgreSQL server of a chaos scenario that needs one to itself: restart-database stops and starts it (a
/// shared server, as KIMI_TEST_POSTGRES names, must not be restarted under other tests), partition needs it on the
/// namespaces' bridge. Its own data folder, a free port on the addresses the scenario needs; stopped at the end. Runs as the
/// <c>postgres</c> system user when this process is root (PostgreSQL refuses root), else as the current user.
/// </summary>
public sealed class PostgresServer : IDisposable
{
    public const string Database = "kimi", User = "kimi", Password = "kimi-chaos";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(90);

    private readonly string _bin, _dataDir;
    private readonly IReadOnlyList<string> _listen;
    private readonly bool _asPostgres;

    public int Port { get; private set; }

    private PostgresServer(string bin, string dataDir, int port, IReadOnlyList<string> listen, bool asPostgres)
    {
        (_bin, _dataDir, Port, _listen, _asPostgres) = (bin, dataDir, port, listen, asPostgres);
    }

    /// <summary>The connection string for a client at <paramref name="host"/> (one of the addresses it listens on).</summary>
    /// <remarks>
    /// No GSS encryption: the server has no Kerberos, and Npgsql's first attempt (GSS, by default) waits on a Kerberos
    /// lookup that, in a network namespace with no route beyond the bridge, outlasts the connect timeout.
    /// </remarks>
    public string ConnectionString(string host = "127.0.0.1") =>
        $"Host={host};Port={Port.ToString(CultureInfo.InvariantCulture)};Database={Database};Username={User};Password={Password};Timeout=5;" +
        "Command Timeout=30;Gss Encryption Mode=Disable";

    /// <summary>Creates the data folder under <paramref name="folder"/>, starts the server and creates the database.</summary>
    /// <exception cref="ScenarioUnavailableException">No PostgreSQL server binaries on this machine.</exception>
    public static PostgresServer Start(string folder, IReadOnlyList<string> listen)
    {
        var bin = FindBinaries() ?? throw new ScenarioUnavailableException(
            "PostgreSQL's server programs (initdb, pg_ctl) are not installed: apt-get install postgresql-15 (.ci/run does on CI)");
        bool root = Environment.UserName == "root";
        if (root && !UserExists("postgres"))
            throw new ScenarioUnavailableException("running as root, but there is no 'postgres' system user to run PostgreSQL as (PostgreSQL refuses root)");
        var dataDir = Path.Combine(folder, "pg");
        Directory.CreateDirectory(dataDir);
        var server = new PostgresServer(bin, dataDir, ChaosRun.FreePort(), listen, root);
        if (root) Run("chown", ["postgres", dataDir], asPostgres: false);
        File.SetUnixFileMode(dataDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var pwFile = Path.Combine(Path.GetTempPath(), $"kimi-chaos-pw-{Guid.NewGuid():N}");
        File.WriteAllText(pwFile, Password + "\n");
        if (root) Run("chown", ["postgres", pwFile], asPostgres: false);
        try
        {
            server.Pg("initdb", "-D", dataDir, "-U", User, "--pwfile", pwFile, "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8",
                "--locale=C.UTF-8");
        }
        finally { File.Delete(pwFile); }
        // Every address a node may connect from (network namespaces of the partition scenario included).
        File.AppendAllText(Path.Combine(dataDir, "pg_hba.conf"), "host all all 0.0.0.0/0 scram-sha-256\n");
        // The port was free when probed; another process may take it before the server binds it: then another port.
        for (int attempt = 1; ; attempt++)
        {
            try { server.StartServer(); break; }
            catch (InvalidOperationException) when (attempt < 3) { server.Port = ChaosRun.FreePort(); }
        }
        server.Pg("psql", "-h", dataDir, "-p", server.Port.ToString(CultureInfo.InvariantCulture), "-U", User, "-d", "postgres", "-v", "ON_ERROR_STOP=1",
            "-qc", $"CREATE DATABASE {Database}");
        return server;
    }

    /// <summary>Starts the (stopped) server again, on the same port and data.</summary>
    public void StartServer() =>
        Pg("pg_ctl", "-D", _dataDir, "-w", "-t", "60", "-l", Path.Combine(_dataDir, "server.log"), "-o",
            $"-c listen_addresses={string.Join(',', _listen)} -p {Port.ToString(CultureInfo.InvariantCulture)} -k {_dataDir} -c fsync=off -c max_connections=300", "start");

    /// <summary>Stops the server: <c>fast</c> ends open sessions (clients see their connections fail), <c>immediate</c> is a crash.</summary>
    public void Stop(string mode = "fast") => Pg("pg_ctl", "-D", _dataDir, "-m", mode, "-w", "-t", "60", "stop");

    public void Dispose()
    {
        try { Stop("immediate"); }
        catch (Exception e) when (e is InvalidOperationException or IOException) { }
    }

    private void Pg(string program, params string[] args) => Run(Path.Combine(_bin, program), args, _asPostgres);

    private static void Run(string program, IReadOnlyList<string> args, bool asPostgres)
    {
        var info = new ProcessStartInfo(asPostgres ? "runuser" : program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (asPostgres) foreach (var a in new[] { "-u", "postgres", "--", program }) info.ArgumentList.Add(a);
        foreach (var a in args) info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {program}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(CommandTimeout))
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"{Path.GetFileName(program)} did not finish within {CommandTimeout.TotalSeconds:0} s");
        }
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{Path.GetFileName(program)} {string.Join(' ', args)} exited {process.ExitCode}: {stderr.Result.Trim()} {stdout.Result.Trim()}".Trim());
    }

    /// <summary>The newest /usr/lib/postgresql/N/bin with initdb and pg_ctl, or the folder of pg_ctl on PATH.</summary>
    private static string? FindBinaries()
    {
        const string root = "/usr/lib/postgresql";
        if (Directory.Exists(root))
        {
            var best = Directory.GetDirectories(root)
                .Select(d => (Dir: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), out int v) ? v : 0))
                .Where(d => File.Exists(Path.Combine(d.Dir, "initdb")) && File.Exists(Path.Combine(d.Dir, "pg_ctl")))
                .OrderByDescending(d => d.Version).FirstOrDefault();
            if (best.Dir is not null) return best.Dir;
        }
        return (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .FirstOrDefault(d => d.Length > 0 && File.Exists(Path.Combine(d, "pg_ctl")) && File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "psql")));
    }

    private static bool UserExists(string name) => File.ReadLines("/etc/passwd").Any(l => l.StartsWith(name + ":", StringComparison.Ordinal));
}
