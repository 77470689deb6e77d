package rlhf4j.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import rlhf4j.policy.hf.HfCheckpoint;
import rlhf4j.policy.lora.LoraModel;
import rlhf4j.policy.model.CausalLM;

/** {@code rlhf4j merge}: bake a LoRA adapter into a standalone HF checkpoint. */
@Command(
    name = "merge",
    mixinStandardHelpOptions = true,
    description = "Merge a PEFT LoRA adapter into its base model and write a standalone HF folder.")
public final class MergeCommand implements Callable<Integer> {
  @Option(
      names = "--model",
      required = true,
      paramLabel = "DIR",
      description = "base HF model folder")
  Path model;

  @Option(
      names = "--adapter",
      required = true,
      paramLabel = "DIR",
      description = "PEFT adapter folder")
  Path adapter;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "output HF folder")
  Path out;

  @Override
  public Integer call() throws Exception {
    refuseOverwriting(out, model, "--model");
    refuseOverwriting(out, adapter, "--adapter");
    if (Files.exists(out) && !Files.isDirectory(out)) {
      throw new IllegalArgumentException(
          "--out " + out + " is a file; name a folder (it is created or replaced)");
    }
    OutputFolders.prepare(out, "--out");
    try (CausalLM lm = HfCheckpoint.load(model);
        LoraModel lora = LoraModel.load(lm, adapter)) {
      lora.mergeAndSave(out);
    }
    for (String f :
        new String[] {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"}) {
      if (Files.isRegularFile(model.resolve(f))) {
        Files.copy(
            model.resolve(f), out.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    }
    System.out.println("wrote merged model to " + out);
    return 0;
  }

  /** Refuses an output folder that is {@code input} or holds it: writing there would destroy it. */
  static void refuseOverwriting(Path out, Path input, String option) throws java.io.IOException {
    Path o = canonical(out);
    Path i = canonical(input);
    if (i.startsWith(o)) {
      throw new IllegalArgumentException(
          "--out "
              + out
              + (i.equals(o) ? " is the " : " contains the ")
              + option
              + " folder "
              + input
              + "; writing the merged model there would destroy it: choose another --out");
    }
  }

  private static Path canonical(Path p) throws java.io.IOException {
    Path abs = p.toAbsolutePath().normalize();
    // resolve links on the longest part that exists, so two spellings of one folder compare equal
    Path existing = abs;
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing == null) {
      return abs;
    }
    return existing.toRealPath().resolve(existing.relativize(abs));
  }
}
