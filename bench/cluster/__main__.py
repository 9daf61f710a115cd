from bench.cluster.run import main

raise SystemExit(main())
