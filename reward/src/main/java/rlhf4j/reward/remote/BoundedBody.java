package rlhf4j.reward.remote;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * A response body read as UTF-8 text, refused once it exceeds a byte limit (before it is held in
 * memory), and abortable from another thread, which cancels the body's subscription and so closes
 * the connection of a server that trickles its answer.
 */
final class BoundedBody implements HttpResponse.BodySubscriber<String> {
  /** The body is larger than the limit. */
  static final class TooLargeException extends IOException {
    private static final long serialVersionUID = 1L;

    TooLargeException(String message) {
      super(message);
    }
  }

  private final long limit;
  private final CompletableFuture<String> result = new CompletableFuture<>();
  private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
  private volatile Flow.Subscription subscription;
  private long received;

  /**
   * @param limit the most bytes accepted
   * @param declaredLength the Content-Length header, or -1 when absent
   */
  BoundedBody(long limit, long declaredLength) {
    this.limit = limit;
    if (declaredLength > limit) {
      fail(declaredLength);
    }
  }

  private void fail(long bytes) {
    result.completeExceptionally(
        new TooLargeException(
            "the answer is "
                + (bytes > limit ? "at least " : "")
                + bytes
                + " bytes, over maxResponseBytes = "
                + limit));
  }

  @Override
  public CompletionStage<String> getBody() {
    return result;
  }

  @Override
  public void onSubscribe(Flow.Subscription s) {
    subscription = s;
    if (result.isDone()) {
      s.cancel();
    } else {
      s.request(Long.MAX_VALUE);
    }
  }

  @Override
  public void onNext(List<ByteBuffer> items) {
    if (result.isDone()) {
      return;
    }
    for (ByteBuffer b : items) {
      received += b.remaining();
      if (received > limit) {
        fail(received);
        subscription.cancel();
        return;
      }
      byte[] chunk = new byte[b.remaining()];
      b.get(chunk);
      buffer.write(chunk, 0, chunk.length);
    }
  }

  @Override
  public void onError(Throwable t) {
    result.completeExceptionally(t);
  }

  @Override
  public void onComplete() {
    result.complete(buffer.toString(StandardCharsets.UTF_8));
  }

  /** Stops reading: the connection is closed and the body completes with an error. */
  void abort() {
    result.completeExceptionally(new IOException("aborted at the response deadline"));
    Flow.Subscription s = subscription;
    if (s != null) {
      s.cancel();
    }
  }
}
