package rlhf4j.ppo;

import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** A test base that opens a fresh {@link NDManager} before every test and closes it after. */
public abstract class ManagerFixture {
  /** This test's manager; every array a test creates joins it. */
  protected NDManager manager;

  @BeforeEach
  protected void openManager() {
    manager = NDManager.newBaseManager();
  }

  @AfterEach
  protected void closeManager() {
    manager.close();
  }
}
