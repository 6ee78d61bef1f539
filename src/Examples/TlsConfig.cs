using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Multiprocessing.Examples;

/// <summary>TLS for the cluster's traffic with a self-signed certificate made on the spot (for examples and tests).</summary>
public static class TlsConfig
{
    /// <summary>
    /// Writes <c>cluster.pfx</c> into <paramref name="folder"/> and returns the HOCON that turns TLS on with it. Mutual
    /// authentication stays on (Akka's default): every process presents the certificate. Validation of the self-signed
    /// certificate is suppressed here; with a certificate from a CA your machines trust, leave it on.
    /// </summary>
    public static string Create(string folder)
    {
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var path = Path.Combine(folder, "cluster.pfx");
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=multiprocessing-cluster", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], critical: false));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pfx, password));
        return $$"""
            akka.remote.dot-netty.tcp {
              enable-ssl = on
              ssl {
                certificate {
                  path = "{{path}}"
                  password = "{{password}}"
                }
                suppress-validation = on
              }
            }
            """;
    }
}
