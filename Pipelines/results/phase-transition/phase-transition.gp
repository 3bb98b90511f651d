# Regenerate the figure from this folder: gnuplot phase-transition.gp
set terminal pngcairo size 900,560 font "sans,11"
set output "phase-transition.png"
set title "Flat solutions on Gaussian sensing, d1 = d2 = 20: success rate over 5 trial(s) per cell"
set xlabel "measurements m"
set ylabel "rank r"
set cblabel "success rate (rel. error <= 1e-6)"
set cbrange [0:1]
set palette defined (0 "#2b0a3d", 0.25 "#6a1b6e", 0.5 "#c0392b", 0.75 "#f39c12", 1 "#fff4a3")
set xrange [10.0:410.0]
set yrange [0.5:8.5]
set ytics 1
set key outside below horizontal
set samples 400
theory(r) = 1.200061 * r * (20 + 20)
dof(r) = r * (20 + 20 - r)
plot "phase-transition-image.dat" using 1:2:3 with image notitle, \
     [0.5:8.5] "+" using (theory($1)):1 with lines lw 3 lc rgb "#00e5ff" \
        title sprintf("theory: m = C r (d1+d2), C = %.2f (fit at 50%%)", 1.200061), \
     [0.5:8.5] "+" using (dof($1)):1 with lines lw 2 dt 2 lc rgb "#9a9a9a" title "degrees of freedom m = r(d1+d2-r)"
