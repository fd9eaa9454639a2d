using System.Net;
using System.Net.Sockets;

namespace Broadcast.Server.Security;

/// <summary>
/// The address per-address limits count by. IPv4 addresses (also written as IPv6-mapped) as they are; IPv6
/// addresses by their /64 prefix, since one subscriber usually holds a whole /64 and could otherwise take a
/// new address for every connection.
/// </summary>
public static class AddressKey
{
    public static IPAddress? Of(IPAddress? address)
    {
        if (address is null)
        {
            return null;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address;
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes);
    }
}
