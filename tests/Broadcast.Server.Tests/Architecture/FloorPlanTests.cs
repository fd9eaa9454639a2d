using System.Diagnostics;

namespace Broadcast.Server.Tests.Architecture;

/// <summary>
/// The type-reference graph of src/Broadcast.Server read from its sources (scripts/layers.py): no two folders
/// refer to each other, and no more than four files all reach each other, so the floor plan cannot knot up again.
/// </summary>
public sealed class FloorPlanTests
{
    [Fact]
    public async Task No_two_folders_refer_to_each_other_and_no_knot_is_larger_than_four_files()
    {
        var repository = RepositoryRoot();
        var start = new ProcessStartInfo("python3")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = repository,
        };
        foreach (var argument in new[] { "scripts/layers.py", "src/Broadcast.Server", "--max-mutual", "0", "--max-knot", "4" })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));

        Assert.True(process.ExitCode == 0, $"scripts/layers.py found the floor plan broken (exit {process.ExitCode}):\n{await output}{await errors}");
        Assert.Contains("mutual folder pairs 0;", await output, StringComparison.Ordinal);
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Broadcast.slnx")))
        {
            directory = directory.Parent;
        }

        Assert.NotNull(directory);
        return directory.FullName;
    }
}
