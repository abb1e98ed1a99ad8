using System.Runtime.Versioning;
using System.Security.Cryptography;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.Cluster.Tests.Support;
using Microsoft.Data.Sqlite;

namespace Kimi.Actors.Cluster.Tests.Configuration;

public sealed class DatabasePreflightTests : IDisposable
{
    private readonly TempDatabase _database = new();

    [Fact]
    public void A_missing_file_and_folder_are_fine_and_the_folder_is_created()
    {
        var file = Path.Combine(_database.Folder, "new", "sub", "kimi.db");
        Assert.Equal(file, DatabasePreflight.Check(file));
        Assert.True(Directory.Exists(Path.GetDirectoryName(file)));
        Assert.False(File.Exists(file));
        Assert.Empty(Directory.GetFileSystemEntries(Path.GetDirectoryName(file)!));   // the write probe is gone
    }

    [Fact]
    public void An_intact_database_and_an_empty_file_pass()
    {
        using (var connection = new SqliteConnection($"Data Source={_database.File};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);";
            command.ExecuteNonQuery();
        }
        DatabasePreflight.Check(_database.File);

        var empty = Path.Combine(_database.Folder, "empty.db");
        File.WriteAllBytes(empty, []);
        DatabasePreflight.Check(empty);
    }

    [Fact]
    public void A_file_that_is_not_SQLite_is_reported_by_name_and_left_untouched()
    {
        var bytes = new byte[4096];
        new Random(7).NextBytes(bytes);
        File.WriteAllBytes(_database.File, bytes);

        var error = Assert.Throws<DatabaseException>(() => DatabasePreflight.Check(_database.File));
        Assert.Contains(_database.File, error.Message);
        Assert.Contains("not a SQLite database", error.Message);
        Assert.Equal(_database.File, error.DatabasePath);
        Assert.Equal(bytes, File.ReadAllBytes(_database.File));
    }

    [Fact]
    public void A_damaged_SQLite_file_is_reported_by_name_and_left_untouched()
    {
        using (var connection = new SqliteConnection($"Data Source={_database.File};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            // One transaction: 200 separate commits would mean 200 fsyncs.
            command.CommandText = "BEGIN; CREATE TABLE t (x TEXT); "
                + string.Concat(Enumerable.Range(0, 200).Select(i => $"INSERT INTO t VALUES ('{new string('x', 100)}{i}');")) + " COMMIT;";
            command.ExecuteNonQuery();
        }
        // Keep the header, scramble the pages after the first.
        var bytes = File.ReadAllBytes(_database.File);
        new Random(11).NextBytes(bytes.AsSpan(4096));
        File.WriteAllBytes(_database.File, bytes);
        var hash = SHA256.HashData(bytes);

        var error = Assert.Throws<DatabaseException>(() => DatabasePreflight.Check(_database.File));
        Assert.Contains(_database.File, error.Message);
        Assert.Equal(hash, SHA256.HashData(File.ReadAllBytes(_database.File)));
        Assert.Equal([Path.GetFileName(_database.File)], Directory.GetFiles(_database.Folder).Select(Path.GetFileName));
    }

    [Fact]
    public void A_folder_that_cannot_be_created_is_reported()
    {
        var blocker = Path.Combine(_database.Folder, "a-file");
        File.WriteAllText(blocker, "not a folder");
        var file = Path.Combine(blocker, "kimi.db");

        var error = Assert.Throws<DatabaseException>(() => DatabasePreflight.Check(file));
        Assert.Contains(file, error.Message);
        Assert.Contains("cannot be created or written", error.Message);
    }

    [Fact]
    [UnsupportedOSPlatform("windows")]   // Kimi runs on Linux (libtorch); the test uses Unix permissions
    public void A_folder_that_cannot_be_written_is_reported()
    {
        // Root ignores permission bits, so as root a folder of a pseudo file system stands in for a read-only one.
        bool root = Environment.UserName == "root";
        var folder = root ? "/proc/self" : Path.Combine(_database.Folder, "read-only");
        if (!root)
        {
            Directory.CreateDirectory(folder);
            File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        }
        var file = Path.Combine(folder, "kimi.db");
        try
        {
            var error = Assert.Throws<DatabaseException>(() => DatabasePreflight.Check(file));
            Assert.Contains(file, error.Message);
            Assert.Contains("cannot be created or written", error.Message);
        }
        finally
        {
            if (!root) File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [Fact]
    public void A_folder_given_as_the_file_is_reported()
    {
        var error = Assert.Throws<DatabaseException>(() => DatabasePreflight.Check(_database.Folder));
        Assert.Contains(_database.Folder, error.Message);
    }

    public void Dispose() => _database.Dispose();
}
