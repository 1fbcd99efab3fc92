// Spark 3.5's Connect server authenticates nobody: provision/auth-interceptor.ts compiles this gRPC
// interceptor at install time against the Connect jar (whose gRPC is shaded under
// org.sparkproject.connect.grpc), and the launcher names it in spark.connect.grpc.interceptor.classes.
package dev.sparkautobundle;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import org.sparkproject.connect.grpc.Grpc;
import org.sparkproject.connect.grpc.Metadata;
import org.sparkproject.connect.grpc.ServerCall;
import org.sparkproject.connect.grpc.ServerCallHandler;
import org.sparkproject.connect.grpc.ServerInterceptor;
import org.sparkproject.connect.grpc.Status;

/** Written by spark-autobundle: loopback peers with the pre-shared token only (what Spark 4 does itself). */
public final class LoopbackTokenInterceptor implements ServerInterceptor {
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private final byte[] expected;

  public LoopbackTokenInterceptor() {
    // CONNECT_TOKEN_ENV in server/constants.ts, which the launcher sets (a unit test checks they agree).
    String token = System.getenv("SPARK_CONNECT_AUTHENTICATE_TOKEN");
    // Fail closed: without a token configured, nobody gets in.
    expected = token == null || token.isEmpty() ? null : ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    SocketAddress peer = call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR);
    if (!(peer instanceof InetSocketAddress) || !((InetSocketAddress) peer).getAddress().isLoopbackAddress()) {
      return refuse(call, Status.PERMISSION_DENIED.withDescription("This Spark Connect server only accepts clients on this machine (127.0.0.1)."));
    }
    String given = headers.get(AUTHORIZATION);
    if (expected == null || given == null || !MessageDigest.isEqual(expected, given.getBytes(StandardCharsets.UTF_8))) {
      return refuse(call, Status.UNAUTHENTICATED.withDescription("Invalid or missing token for this Spark Connect server."));
    }
    return next.startCall(call, headers);
  }

  private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, Status status) {
    call.close(status, new Metadata());
    return new ServerCall.Listener<Q>() {};
  }
}
