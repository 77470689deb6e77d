package rlhf4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import rlhf4j.policy.io.TensorData;

/**
 * The end-to-end TRL goldens under {@code fixtures/trl/} ({@code
 * tools/fixtures/make_trl_goldens.py}) and a CLI run to hold against them.
 */
final class TrlGoldens {
  private TrlGoldens() {}

  /** Writes {@code yaml} as {@code tmp/<command>.yaml} and runs {@code rlhf4j <command>} on it. */
  static void run(Path tmp, String command, String yaml) throws IOException {
    Path config = tmp.resolve(command + ".yaml");
    Files.writeString(config, yaml);
    CliRun.Result r = CliRun.run(command, "--config", config.toString());
    assertEquals(0, r.code(), r.err());
  }

  /** TRL's logged steps, in order. */
  static List<JsonObject> trlSteps(Path golden) throws IOException {
    JsonArray steps =
        JsonParser.parseString(Files.readString(golden.resolve("trl-metrics.json")))
            .getAsJsonObject()
            .getAsJsonArray("steps");
    List<JsonObject> out = new ArrayList<>();
    steps.forEach(s -> out.add(s.getAsJsonObject()));
    return out;
  }

  /** The run's metrics.jsonl rows, one per step; as many as TRL logged. */
  static List<JsonObject> ourSteps(Path run, int expected) throws IOException {
    List<JsonObject> out = new ArrayList<>();
    for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
      out.add(JsonParser.parseString(line).getAsJsonObject());
    }
    assertEquals(expected, out.size(), "steps in metrics.jsonl");
    return out;
  }

  /** A float32 tensor's values. */
  static float[] floats(TensorData t) {
    FloatBuffer f = t.bytes().duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
    float[] out = new float[f.remaining()];
    f.get(out);
    return out;
  }

  /** An absolute path with forward slashes, for YAML. */
  static String slash(Path p) {
    return p.toAbsolutePath().toString().replace("\\", "/");
  }
}
