using System.Reflection;
using System.Text.RegularExpressions;
using Broadcast.Server.Protocol;

namespace Broadcast.Server.Tests.Security;

/// <summary>docs/security.md keeps up with the server: every code in its one table, every checklist item mapped to tests that exist.</summary>
public sealed partial class SecurityDocumentTests
{
    private static string Section(string document, string heading)
    {
        var start = document.IndexOf("## " + heading, StringComparison.Ordinal);
        Assert.True(start >= 0, $"docs/security.md has no '## {heading}' section");
        var end = document.IndexOf("\n## ", start + 3, StringComparison.Ordinal);
        return end < 0 ? document[start..] : document[start..end];
    }

    private static string ReadDocument()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Broadcast.slnx")))
        {
            directory = directory.Parent;
        }

        Assert.NotNull(directory);
        return File.ReadAllText(Path.Combine(directory.FullName, "docs", "security.md"));
    }

    [Fact]
    public void One_table_lists_every_error_code_and_every_close_code_the_server_uses()
    {
        var table = Section(ReadDocument(), "Every code the server uses");
        foreach (var error in ProtocolErrors.All)
        {
            Assert.Contains($"`{error.Code}`", table, StringComparison.Ordinal);
        }

        foreach (var code in new[] { "token_required", "token_invalid", "origin_forbidden", "host_forbidden", "too_many_connections", "server_full", "too_many_upgrades", "websocket_required", "unauthorized", "body_too_large" })
        {
            Assert.Contains($"`{code}`", table, StringComparison.Ordinal);
        }

        foreach (var close in new[] { 1000, 1001, 1002, 1007, 1008, 1009, 1011 })
        {
            Assert.Contains($"| close | {close} |", table, StringComparison.Ordinal);
        }

        foreach (var reason in new[] { "token expired", "slow consumer: outbound queue overflow", "too many fragments in one message", "publish rate limit exceeded", "server shutting down" })
        {
            Assert.Contains($"`{reason}`", table, StringComparison.Ordinal);
        }

        Assert.Contains($"`{Broadcast.Server.Security.ClientBudgets.RequestFloodReason}`", table, StringComparison.Ordinal);
        Assert.Contains($"`{Broadcast.Server.Security.ClientBudgets.PublishFloodReason}`", table, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_checklist_item_is_mapped_to_tests_that_exist()
    {
        var coverage = Section(ReadDocument(), "Checklist coverage");
        foreach (var item in Enumerable.Range(1, 37))
        {
            Assert.Contains($"\n| {item} |", coverage, StringComparison.Ordinal);
        }

        // Every Class.Method named for a class of this assembly must exist (the client tests are checked by name only).
        var types = typeof(SecurityDocumentTests).Assembly.GetTypes();
        var checkedNames = 0;
        foreach (Match match in TestName().Matches(coverage))
        {
            var type = types.FirstOrDefault(t => t.Name == match.Groups[1].Value);
            if (type is null)
            {
                continue;
            }

            Assert.True(
                type.GetMethod(match.Groups[2].Value, BindingFlags.Public | BindingFlags.Instance) is not null,
                $"docs/security.md names {match.Value}, which does not exist");
            checkedNames++;
        }

        Assert.True(checkedNames > 40, $"only {checkedNames} test names were found in the coverage table");
    }

    [GeneratedRegex(@"`([A-Z][A-Za-z0-9]*Tests)\.([A-Za-z0-9_]+)`")]
    private static partial Regex TestName();
}
