package rlhf4j.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;
import rlhf4j.policy.model.TokenLogProbs;
import rlhf4j.policy.tokenizer.Tokenizer;

/** {@code rlhf4j logits}: next-token logits and token log-probs of given ids or texts as JSON. */
@Command(
    name = "logits",
    mixinStandardHelpOptions = true,
    description =
        "Write logits [B][T][V] and token_logprobs [B][T-1] of token ids or texts as JSON.")
public final class LogitsCommand implements Callable<Integer> {
  @Mixin ModelOptions model;

  @Option(
      names = "--ids",
      paramLabel = "IDS",
      description =
          "token ids, rows separated by ';' and ids by ',', e.g. \"1,2,3;4,5,6\";"
              + " shorter rows are left-padded and masked")
  String ids;

  @Option(
      names = "--text",
      paramLabel = "TEXT",
      description = "text to tokenize with the model folder's tokenizer.json (repeatable)")
  List<String> texts;

  @Option(names = "--out", required = true, paramLabel = "FILE", description = "output JSON file")
  Path out;

  @Option(
      names = "--adapter",
      paramLabel = "DIR",
      description = "PEFT LoRA adapter folder (adapter_config.json + adapter_model.safetensors)")
  Path adapter;

  @Option(names = "--disable-adapter", description = "load --adapter but run with it switched off")
  boolean disableAdapter;

  @Option(names = "--merge", description = "merge --adapter into the base weights before running")
  boolean merge;

  @Override
  public Integer call() throws Exception {
    long[][] rows = rows();
    int b = rows.length;
    int t = 0;
    for (long[] r : rows) {
      t = Math.max(t, r.length);
    }
    long[] flat = new long[b * t];
    long[] mask = new long[b * t];
    for (int i = 0; i < b; i++) {
      int pad = t - rows[i].length;
      for (int j = 0; j < rows[i].length; j++) {
        flat[i * t + pad + j] = rows[i][j];
        mask[i * t + pad + j] = 1;
      }
    }
    if (Files.isDirectory(out)) {
      throw new IllegalArgumentException(
          "--out "
              + out
              + " is a folder; name the JSON file to write (e.g. "
              + out.resolve("logits.json")
              + ")");
    }
    Path outDir = out.toAbsolutePath().getParent();
    if (outDir != null) {
      OutputFolders.prepare(outDir, "the folder of --out");
    }
    if ((disableAdapter || merge) && adapter == null) {
      throw new IllegalArgumentException("--disable-adapter and --merge need --adapter DIR");
    }
    if (disableAdapter && merge) {
      throw new IllegalArgumentException("choose one of --disable-adapter and --merge");
    }
    if (merge && model.quant().quantizes()) {
      throw new IllegalArgumentException(
          "--merge needs --base-dtype fp32: merging into a "
              + model.quant().baseDtype().configName()
              + " base would round the whole weight again; keep the adapter unmerged (drop"
              + " --merge) or merge with fp32");
    }
    try (CausalLM lm = model.load();
        LoraModel lora = adapter == null ? null : LoraModel.load(lm, adapter);
        LoraModel.Restore off = disableAdapter ? lora.adaptersDisabled() : null;
        NDManager m = NDManager.newBaseManager()) {
      if (merge) {
        lora.merge();
      }
      for (long id : flat) {
        if (id < 0 || id >= lm.config().vocabSize()) {
          throw new IllegalArgumentException(
              "token id " + id + " is outside the vocabulary [0, " + lm.config().vocabSize() + ")");
        }
      }
      NDArray idArr = m.create(flat, new Shape(b, t));
      NDArray maskArr = m.create(mask, new Shape(b, t));
      NDArray logits = lm.forward(idArr, maskArr).logits();
      NDArray lp = TokenLogProbs.nextTokens(logits, idArr, 1.0);
      JsonObject j = new JsonObject();
      j.add("ids", matrix(flat, b, t));
      j.add("attention_mask", matrix(mask, b, t));
      int v = lm.config().vocabSize();
      float[] lg = logits.toFloatArray();
      checkFinite(lg, t, v);
      JsonArray logitsJson = new JsonArray();
      for (int i = 0; i < b; i++) {
        JsonArray rowsJson = new JsonArray();
        for (int k = 0; k < t; k++) {
          JsonArray row = new JsonArray();
          for (int x = 0; x < v; x++) {
            row.add(lg[(i * t + k) * v + x]);
          }
          rowsJson.add(row);
        }
        logitsJson.add(rowsJson);
      }
      j.add("logits", logitsJson);
      float[] lpv = lp.toFloatArray();
      JsonArray lpJson = new JsonArray();
      for (int i = 0; i < b; i++) {
        JsonArray row = new JsonArray();
        for (int k = 0; k < t - 1; k++) {
          row.add(lpv[i * (t - 1) + k]);
        }
        lpJson.add(row);
      }
      j.add("token_logprobs", lpJson);
      if (out.toAbsolutePath().getParent() != null) {
        Files.createDirectories(out.toAbsolutePath().getParent());
      }
      rlhf4j.policy.io.AtomicFiles.writeString(out, new GsonBuilder().create().toJson(j));
      System.out.printf("wrote %s: logits [%d][%d][%d]%n", out, b, t, v);
    }
    return 0;
  }

  /**
   * Refuses NaN or infinite logits: JSON has no such numbers, and a model that produces them is
   * broken (the message names the first row and position).
   */
  static void checkFinite(float[] logits, int t, int v) {
    for (int i = 0; i < logits.length; i++) {
      if (!Float.isFinite(logits[i])) {
        int row = i / (t * v);
        int pos = (i / v) % t;
        throw new IllegalStateException(
            "the model's logits are "
                + logits[i]
                + " at row "
                + row
                + ", position "
                + pos
                + " (token "
                + (i % v)
                + "): its weights or adapter overflow; nothing was written");
      }
    }
  }

  private long[][] rows() {
    if ((ids == null) == (texts == null || texts.isEmpty())) {
      throw new IllegalArgumentException("give exactly one of --ids or --text");
    }
    if (ids != null) {
      List<long[]> rows = new ArrayList<>();
      for (String row : ids.split(";")) {
        String[] parts = row.trim().split(",");
        long[] r = new long[parts.length];
        for (int i = 0; i < parts.length; i++) {
          try {
            r[i] = Long.parseLong(parts[i].trim());
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                "--ids: '" + parts[i].trim() + "' is not an integer (format: \"1,2,3;4,5,6\")");
          }
        }
        rows.add(r);
      }
      return rows.toArray(new long[0][]);
    }
    if (model.dir() == null) {
      throw new IllegalArgumentException("--text needs --model DIR with a tokenizer.json");
    }
    try (Tokenizer tok = Tokenizer.load(model.dir())) {
      return texts.stream().map(tok::encode).toArray(long[][]::new);
    }
  }

  private static JsonArray matrix(long[] flat, int b, int t) {
    JsonArray a = new JsonArray();
    for (int i = 0; i < b; i++) {
      JsonArray row = new JsonArray();
      for (int k = 0; k < t; k++) {
        row.add(flat[i * t + k]);
      }
      a.add(row);
    }
    return a;
  }
}
