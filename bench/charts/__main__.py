from bench.charts.run import main

raise SystemExit(main())
