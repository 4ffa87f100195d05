package dev.softmax.job;

import java.io.File;
import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;

/**
 * {@link CrashRecoveryJobTest} on HDFS (a NameNode and a DataNode in this JVM, on 127.0.0.1): the
 * publish lock is HDFS's {@code create(overwrite=false)}, the moves its renames, and the drivers,
 * each a JVM of its own, reach it by its {@code hdfs://} URL.
 */
class HdfsCrashRecoveryJobTest extends CrashRecoveryJobTest {
  private MiniDFSCluster hdfs;

  @Override
  Path storage() throws IOException {
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, new File(logs, "hdfs").getAbsolutePath());
    hdfs = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
    hdfs.waitActive();
    return new Path("hdfs://127.0.0.1:" + hdfs.getNameNodePort() + "/crash");
  }

  // an overriding method is JUnit's lifecycle method only when annotated itself
  @AfterAll
  @Override
  void closeStorage() throws IOException {
    fs.close();
    if (hdfs != null) {
      hdfs.shutdown();
    }
  }
}
