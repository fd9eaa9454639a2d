using Broadcast.Server.Transport.Compression;

namespace Broadcast.Server.Tests.Transport;

/// <summary>The server's answer to permessage-deflate offers (RFC 7692 sections 5 and 7.1).</summary>
public sealed class DeflateNegotiationTests
{
    private const string Accepted = "permessage-deflate; server_no_context_takeover; client_no_context_takeover";

    [Theory]
    // What browsers and Node's ws offer: the window hint needs no answer.
    [InlineData("permessage-deflate; client_max_window_bits", Accepted)]
    [InlineData("permessage-deflate", Accepted)]
    [InlineData("PerMessage-Deflate; Client_Max_Window_Bits=10", Accepted)]
    [InlineData("permessage-deflate; client_max_window_bits=\"12\"", Accepted)]
    [InlineData("permessage-deflate; server_no_context_takeover; client_no_context_takeover", Accepted)]
    // A server window of 15 bits is what the server uses: answered as accepted with the same value.
    [InlineData("permessage-deflate; server_max_window_bits=15", Accepted + "; server_max_window_bits=15")]
    // Offers it cannot honour or that are invalid are declined, and the next acceptable one is taken.
    [InlineData("permessage-deflate; server_max_window_bits=10, permessage-deflate; client_max_window_bits", Accepted)]
    [InlineData("x-webkit-deflate-frame, permessage-deflate", Accepted)]
    [InlineData("permessage-deflate; server_max_window_bits=10", null)]
    [InlineData("permessage-deflate; server_max_window_bits", null)]
    [InlineData("permessage-deflate; client_max_window_bits=16", null)]
    [InlineData("permessage-deflate; client_max_window_bits=7", null)]
    [InlineData("permessage-deflate; client_max_window_bits=09", null)]
    [InlineData("permessage-deflate; server_no_context_takeover=1", null)]
    [InlineData("permessage-deflate; server_no_context_takeover; server_no_context_takeover", null)]
    [InlineData("permessage-deflate; unknown_parameter", null)]
    [InlineData("x-webkit-deflate-frame", null)]
    [InlineData("", null)]
    public void Answers_the_first_offer_it_can_honour(string offers, string? expected)
    {
        Assert.Equal(expected, DeflateNegotiation.Negotiate([offers]));
    }

    [Fact]
    public void Offers_in_several_header_lines_are_read_in_order()
    {
        Assert.Equal(Accepted, DeflateNegotiation.Negotiate(["permessage-deflate; server_max_window_bits=9", "permessage-deflate"]));
    }
}
