package rlhf4j.cli.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The yardstick's prompts: random ids with lengths in [P/2, P] (the first full length), never the
 * EOS id.
 */
public final class BenchPrompts {
  private BenchPrompts() {}

  public static List<long[]> make(int batch, int promptLen, int vocab, long eos, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<long[]> out = new ArrayList<>();
    for (int i = 0; i < batch; i++) {
      int len =
          i == 0
              ? promptLen
              : Math.max(1, promptLen / 2)
                  + rng.nextInt(promptLen - Math.max(1, promptLen / 2) + 1);
      long[] ids = new long[len];
      for (int t = 0; t < len; t++) {
        long id = rng.nextInt(vocab - 1);
        ids[t] = eos >= 0 && id >= eos ? id + 1 : id;
      }
      out.add(ids);
    }
    return out;
  }
}
