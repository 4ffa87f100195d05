package dev.softmax.job.hadoop;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;
import sun.misc.Signal;

/**
 * HDFS (a NameNode and a DataNode) and YARN (a ResourceManager and a NodeManager) on 127.0.0.1 in
 * this JVM, from hadoop-client-minicluster: what {@code scripts/hadoop-cluster.sh start} runs.
 *
 * <p>{@code MiniHadoopCluster DIR [NODE_MEMORY_MB]}, with DIR as the working directory
 * (MiniYARNCluster keeps its NodeManager's folders, and so the containers' working directories and
 * logs, under {@code ./target}). When both clusters are up it writes {@code DIR/conf}
 * (core-site.xml, hdfs-site.xml, yarn-site.xml: what a client needs in {@code HADOOP_CONF_DIR}) and
 * then {@code DIR/hdfs.url}. SIGTERM stops YARN (the NodeManager kills its containers) and then
 * HDFS.
 */
public final class MiniHadoopCluster {
  private MiniHadoopCluster() {}

  /** The addresses a YARN client dials, as the running ResourceManager has them. */
  private static final List<String> RM_ADDRESSES =
      List.of(
          YarnConfiguration.RM_ADDRESS,
          YarnConfiguration.RM_SCHEDULER_ADDRESS,
          YarnConfiguration.RM_RESOURCE_TRACKER_ADDRESS,
          YarnConfiguration.RM_ADMIN_ADDRESS,
          YarnConfiguration.RM_WEBAPP_ADDRESS);

  public static void main(String[] args) throws Exception {
    if (args.length < 1 || args.length > 2) {
      System.err.println("usage: MiniHadoopCluster DIR [NODE_MEMORY_MB]");
      System.exit(2);
    }
    Path dir = Path.of(args[0]).toAbsolutePath();
    int nodeMemoryMb = args.length > 1 ? Integer.parseInt(args[1]) : 6144;
    requireLoopbackHostName();

    // SIGTERM (scripts/hadoop-cluster.sh stop) and SIGINT stop the clusters in order before the JVM
    // exits; from a shutdown hook they cannot, as Hadoop removes hooks of its own while stopping
    CountDownLatch stop = new CountDownLatch(1);
    for (String signal : List.of("TERM", "INT")) {
      Signal.handle(new Signal(signal), s -> stop.countDown());
    }
    MiniDFSCluster dfs = null;
    MiniYARNCluster yarn = null;
    int status = 0;
    try {
      Configuration conf = new Configuration();
      conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, dir.resolve("hdfs").toString());
      dfs = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
      dfs.waitActive();
      String hdfs = "hdfs://127.0.0.1:" + dfs.getNameNodePort();
      yarn = new MiniYARNCluster("yarn", 1, 1, 1);
      yarn.init(new YarnConfiguration(yarnSettings(hdfs, nodeMemoryMb)));
      yarn.start();
      if (!yarn.waitForNodeManagersToConnect(60_000)) {
        throw new IllegalStateException(
            "the NodeManager did not register with the ResourceManager");
      }
      writeClientConf(dir, hdfs, yarn.getConfig());
      stop.await();
    } catch (Exception | Error e) {
      e.printStackTrace();
      status = 1;
    } finally {
      if (yarn != null) {
        yarn.stop();
      }
      if (dfs != null) {
        dfs.shutdown();
      }
    }
    System.exit(status);
  }

  /**
   * Writes {@code DIR/conf}, what a client needs in {@code HADOOP_CONF_DIR}, then {@code
   * DIR/hdfs.url}, for which the script waits.
   */
  private static void writeClientConf(Path dir, String hdfs, Configuration running)
      throws IOException {
    Map<String, String> client = new LinkedHashMap<>();
    for (String key : RM_ADDRESSES) {
      String address = running.get(key);
      int port = Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
      if (port == 0) {
        throw new IllegalStateException(key + " has no port yet: " + address);
      }
      client.put(key, "127.0.0.1:" + port);
    }
    Path confDir = dir.resolve("conf");
    Files.createDirectories(confDir);
    write(confDir.resolve("core-site.xml"), Map.of("fs.defaultFS", hdfs));
    write(confDir.resolve("hdfs-site.xml"), Map.of("dfs.replication", "1"));
    write(confDir.resolve("yarn-site.xml"), client);
    Files.writeString(dir.resolve("hdfs.url.tmp"), hdfs + "\n");
    Files.move(dir.resolve("hdfs.url.tmp"), dir.resolve("hdfs.url"));
    System.out.println(
        "HDFS " + hdfs + ", YARN ResourceManager " + client.get(YarnConfiguration.RM_ADDRESS));
  }

  /**
   * The YARN settings: the capacity scheduler's one queue (the minicluster jar brings no
   * capacity-scheduler.xml), room for two applications' masters at once, small containers, no disk
   * health check (a full disk would mark the only node unhealthy), and this JVM's SPARK_LOCAL_IP
   * (the script sets 127.0.0.1) in every container: this host's name resolves to a loopback
   * address, and Spark would otherwise pick an address of another interface.
   */
  private static Configuration yarnSettings(String hdfs, int nodeMemoryMb) {
    Configuration c = new Configuration();
    c.set("fs.defaultFS", hdfs);
    c.set("yarn.scheduler.capacity.root.queues", "default");
    c.set("yarn.scheduler.capacity.root.default.capacity", "100");
    c.set("yarn.scheduler.capacity.root.default.maximum-capacity", "100");
    c.set("yarn.scheduler.capacity.root.default.state", "RUNNING");
    c.set("yarn.scheduler.capacity.root.default.acl_submit_applications", "*");
    c.set("yarn.scheduler.capacity.root.default.acl_administer_queue", "*");
    c.set("yarn.scheduler.capacity.maximum-am-resource-percent", "0.5");
    c.setInt("yarn.minicluster.yarn.nodemanager.resource.memory-mb", nodeMemoryMb);
    c.setInt(YarnConfiguration.RM_SCHEDULER_MINIMUM_ALLOCATION_MB, 256);
    c.setInt(YarnConfiguration.RM_SCHEDULER_MAXIMUM_ALLOCATION_MB, nodeMemoryMb);
    c.set("yarn.nodemanager.disk-health-checker.max-disk-utilization-per-disk-percentage", "100.0");
    c.set(
        YarnConfiguration.NM_ENV_WHITELIST,
        YarnConfiguration.DEFAULT_NM_ENV_WHITELIST + ",SPARK_LOCAL_IP");
    c.set(YarnConfiguration.RM_BIND_HOST, "127.0.0.1");
    c.set(YarnConfiguration.NM_BIND_HOST, "127.0.0.1");
    return c;
  }

  /**
   * The NodeManager and the ResourceManager take this host's name as their address; refuse to start
   * where it is not a loopback address, so that nothing here listens on a network.
   */
  private static void requireLoopbackHostName() throws IOException {
    InetAddress host = InetAddress.getLocalHost();
    if (!host.isLoopbackAddress()) {
      throw new IllegalStateException(
          "this host's name, "
              + host.getHostName()
              + ", resolves to "
              + host.getHostAddress()
              + ", not a loopback address; the mini cluster listens on 127.0.0.1 only (map the"
              + " name to 127.0.0.1 in /etc/hosts)");
    }
  }

  private static void write(Path file, Map<String, String> settings) throws IOException {
    Configuration c = new Configuration(false);
    settings.forEach(c::set);
    try (OutputStream out = Files.newOutputStream(file)) {
      c.writeXml(out);
    }
  }
}
