using Broadcast.Server.Configuration;
using Broadcast.Testing;

namespace Broadcast.Server.Tests.Http;

/// <summary>Every setting is documented with its default, environment variable and range, and listed by --help.</summary>
public sealed class ConfigurationReferenceTests
{
    private static string RepositoryFile(string relativePath)
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Broadcast.slnx")))
        {
            directory = directory.Parent;
        }

        Assert.NotNull(directory);
        return File.ReadAllText(Path.Combine(directory.FullName, relativePath));
    }

    [Fact]
    public void Every_option_is_documented_with_its_environment_variable_default_and_range()
    {
        var rows = RepositoryFile("docs/configuration.md").Split('\n')
            .Select(line => line.Split('|', StringSplitOptions.TrimEntries))
            .Where(cells => cells.Length == 7 && cells[1].StartsWith('`'))
            .ToDictionary(cells => cells[1].Trim('`'), cells => cells);

        Assert.Contains("Broadcast:Redis:Configuration", OptionsCatalog.All.Select(o => o.Key));
        Assert.Contains("Broadcast:Admin:Key", OptionsCatalog.All.Select(o => o.Key));
        foreach (var option in OptionsCatalog.All)
        {
            Assert.True(rows.TryGetValue(option.Key, out var row), $"docs/configuration.md has no row for {option.Key}");
            Assert.Equal($"`{option.EnvironmentVariable}`", row[2]);
            Assert.Equal($"`{option.Default}`", row[3]);
            if (option.ValidRange is { } range)
            {
                Assert.Equal(range, row[4].Replace("`", "", StringComparison.Ordinal));
            }
            else
            {
                Assert.False(string.IsNullOrWhiteSpace(row[4]), $"{option.Key} needs its valid range in words");
            }

            Assert.False(string.IsNullOrWhiteSpace(row[5]), $"{option.Key} needs a meaning");
        }
    }

    [Fact]
    public async Task The_server_binary_lists_every_option_with_help()
    {
        await using var server = ServerProcess.Start(null, "--help");
        Assert.Equal(0, await server.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        foreach (var option in OptionsCatalog.All)
        {
            Assert.Contains(option.Key, server.Output, StringComparison.Ordinal);
            Assert.Contains(option.EnvironmentVariable, server.Output, StringComparison.Ordinal);
        }

        // The meanings come from docs/configuration.md, embedded in the binary.
        Assert.Contains("slow consumer", server.Output, StringComparison.Ordinal);
    }
}
