"""The demo's data: logins, German hospitals with their programmes, where patients come from, how cases look.

Hospital names other than the Clinic of Advanced Biological Medicine, all physicians, interpreters and patients are
invented. Tables of data, no logic: they are long because the demo should look like a real operator's directory,
which is why this module runs past the usual ~450 lines (splitting one directory's tables would only add a place to
look).
"""

DEMO_PASSWORD = "demo-password"
DEMO_USERS = (
    ("admin@demo.test", "Ada Admin", "admin"),
    ("admin2@demo.test", "Adrian Admin", "admin"),  # the second person a patient's data request needs
    ("coordinator@demo.test", "Carla Coordinator", "coordinator"),
    ("coordinator2@demo.test", "Conrad Coordinator", "coordinator"),
    ("finance@demo.test", "Fiona Finance", "finance"),
    ("patient@demo.test", "Pablo Patient", "patient"),
    ("patient2@demo.test", "Priya Patient", "patient"),
    ("patient3@demo.test", "Dmitri Patient", "patient"),
)
DEMO_COORDINATORS = ("coordinator@demo.test", "coordinator2@demo.test")
# The demo patients' records, linked to their portal logins by the invoice seed (`demo/invoices.py`).
DEMO_PATIENT_PROFILES = {
    "patient@demo.test": {
        "country": "ES",
        "preferred_language": "es",
        "languages": "en",
        "phone": "+34 612 345 678",
        "address": "Calle de Alcalá 45, 3º B\n28014 Madrid\nSpain",
    },
    "patient2@demo.test": {
        "country": "US",
        "preferred_language": "en",
        "languages": "hi",
        "phone": "+1 212 555 0134",
        "address": "350 West 57th Street, Apt 12C\nNew York, NY 10019\nUnited States",
    },
    "patient3@demo.test": {
        "country": "RU",
        "preferred_language": "ru",
        "languages": "en",
        "phone": "+7 495 123 45 67",
        "address": "ul. Tverskaya 12, kv. 34\n125009 Moskva\nRussia",
    },
}
DEMO_CASES = 200
STEM_CELL_PROGRAMME = "Stem cell therapy for type 1 diabetes"

HOSPITALS = (
    {
        "code": "FRA-ABM",
        "vat_id": "DE811234565",
        "name": "Clinic of Advanced Biological Medicine",
        "city": "Frankfurt am Main",
        "languages": ["de", "en", "ru", "ar"],
        "address": "Holbeinstraße 24, 60596 Frankfurt am Main",
        "contact_name": "International Office",
        "physicians": (
            ("Dr. med. Katharina Lindner", "Haematology and stem cell therapy", ["de", "en"]),
            ("Dr. med. Jonas Hoffmann", "Endocrinology and diabetology", ["de", "en", "ru"]),
            ("Dr. med. Samir Haddad", "Internal medicine", ["de", "en", "ar"]),
        ),
        "programmes": (
            {
                "name": STEM_CELL_PROGRAMME,
                "description": "Treatment with the patient's own (autologous) peripheral blood stem cells.",
                "price": "17650.00",
                "stay": 35,
                "follow_up": "Weekly outpatient examinations for 2 months, then follow-up for 5 years.",
                "schedule": "every 1 week x 8: Outpatient examination\nevery 1 year x 5: Follow-up check",
                "phases": (
                    ("Leukocytapheresis and cryopreservation", "", None),
                    ("Conditioning", "2-3 weeks after leukocytapheresis", None),
                    ("Thawed-cell infusion", "1 day", 1),
                    ("Engraftment", "", None),
                    ("Discharge", "", None),
                    ("Weekly outpatient examinations", "2 months", 61),
                    ("Follow-up", "5 years", 1826),
                ),
                "contraindications": (
                    ("Acute stage of an infectious or chronic disease", "remission reached"),
                    ("Pregnancy", "after birth"),
                    ("Lactation", "end of lactation"),
                ),
                "treatments": ("Type 1 diabetes", "Type 1 diabetes, stem cell therapy", "Diabetes mellitus type 1"),
            },
        ),
    },
    {
        "code": "BER-SOH",
        "vat_id": "DE814527394",
        "name": "Spree Orthopaedic Hospital",
        "city": "Berlin",
        "languages": ["de", "en", "pl", "ru"],
        "address": "Spreeweg 11, 10557 Berlin",
        "contact_name": "Patient Service Centre",
        "physicians": (
            ("Dr. med. Lukas Brandt", "Orthopaedic surgery", ["de", "en"]),
            ("Dr. med. Marta Nowak", "Orthopaedic surgery", ["de", "pl", "en"]),
        ),
        "programmes": (
            {
                "name": "Total knee replacement",
                "price": "14900.00",
                "stay": 12,
                "follow_up": "Outpatient physiotherapy for 6 weeks; check-up after 3 months.",
                "schedule": "every 2 weeks x 3: Physiotherapy review\nevery 3 months x 1: Orthopaedic check-up",
                "phases": (
                    ("Pre-operative assessment", "2 days", 2),
                    ("Surgery", "1 day", 1),
                    ("Inpatient rehabilitation", "7-10 days", 9),
                    ("Outpatient physiotherapy", "6 weeks", 42),
                ),
                "contraindications": (
                    ("Active infection anywhere in the body", "infection treated"),
                    ("Uncontrolled diabetes", "blood sugar controlled"),
                ),
                "treatments": ("Knee arthrosis", "Knee replacement"),
            },
            {
                "name": "Total hip replacement",
                "price": "15400.00",
                "stay": 12,
                "follow_up": "Outpatient physiotherapy for 6 weeks; check-up after 3 months.",
                "schedule": "every 2 weeks x 3: Physiotherapy review\nevery 3 months x 1: Orthopaedic check-up",
                "phases": (
                    ("Pre-operative assessment", "2 days", 2),
                    ("Surgery", "1 day", 1),
                    ("Inpatient rehabilitation", "7-10 days", 9),
                ),
                "contraindications": (("Active infection anywhere in the body", "infection treated"),),
                "treatments": ("Hip arthrosis", "Hip replacement"),
            },
        ),
    },
    {
        "code": "MUC-IHC",
        "vat_id": "DE813772140",
        "name": "Isar Heart Centre",
        "city": "Munich",
        "languages": ["de", "en", "ar"],
        "address": "Isartalstraße 40, 80469 München",
        "contact_name": "International Patients",
        "physicians": (
            ("Prof. Dr. med. Stefan Krüger", "Cardiac surgery", ["de", "en"]),
            ("Dr. med. Leila Mansour", "Cardiology", ["de", "en", "ar"]),
            ("Dr. med. Tobias Wagner", "Electrophysiology", ["de", "en"]),
        ),
        "programmes": (
            {
                "name": "Coronary artery bypass surgery",
                "price": "29800.00",
                "stay": 14,
                "follow_up": "Cardiac rehabilitation for 3 weeks; check-up after 6 months.",
                "phases": (
                    ("Diagnostics and heart team review", "2-3 days", 3),
                    ("Surgery", "1 day", 1),
                    ("Intensive and intermediate care", "3-5 days", 4),
                    ("Ward and mobilisation", "7 days", 7),
                ),
                "contraindications": (
                    ("Acute infection", "infection treated"),
                    ("Recent stroke (less than 3 months ago)", "3 months passed"),
                ),
                "treatments": ("Coronary artery disease", "Heart bypass surgery"),
            },
            {
                "name": "Catheter ablation for atrial fibrillation",
                "price": "11900.00",
                "stay": 4,
                "follow_up": "Rhythm check after 3 months.",
                "phases": (("Diagnostics", "1 day", 1), ("Ablation", "1 day", 1), ("Monitoring", "2 days", 2)),
                "contraindications": (("Blood clot in the left atrium", "clot dissolved"),),
                "treatments": ("Atrial fibrillation",),
            },
        ),
    },
    {
        "code": "HAM-EOC",
        "vat_id": "DE812645081",
        "name": "Elbe Oncology Centre",
        "city": "Hamburg",
        "languages": ["de", "en", "ru"],
        "address": "Elbchaussee 118, 22763 Hamburg",
        "contact_name": "International Office",
        "physicians": (
            ("Prof. Dr. med. Ulrike Sommer", "Radiation oncology", ["de", "en"]),
            ("Dr. med. Pavel Orlov", "Medical oncology", ["de", "en", "ru"]),
        ),
        "programmes": (
            {
                "name": "Proton therapy for prostate cancer",
                "price": "24500.00",
                "stay": 45,
                "follow_up": "PSA checks every 3 months for 2 years.",
                "phases": (
                    ("Planning CT and MRI", "3 days", 3),
                    ("Proton irradiation", "5-8 weeks", 42),
                ),
                "contraindications": (("Hip prosthesis in the radiation field", "case reviewed by physicist"),),
                "treatments": ("Prostate cancer",),
            },
            {
                "name": "Second opinion on a cancer treatment plan",
                "price": "2400.00",
                "stay": 3,
                "follow_up": "Written report within 5 working days.",
                "phases": (("Review of records and examinations", "2-3 days", 3), ("Tumour board", "1 day", 1)),
                "contraindications": (),
                "treatments": ("Breast cancer, second opinion", "Colon cancer, treatment plan", "Lymphoma"),
            },
        ),
    },
    {
        "code": "DUS-RNC",
        "vat_id": "DE815937610",
        "name": "Rhine Neuro Clinic",
        "city": "Düsseldorf",
        "languages": ["de", "en", "ar", "ru"],
        "address": "Rheinallee 9, 40545 Düsseldorf",
        "contact_name": "Patient Office",
        "physicians": (
            ("Dr. med. Henrik Vogel", "Neurosurgery", ["de", "en"]),
            ("Dr. med. Nadia Karimi", "Neurology", ["de", "en", "ar"]),
        ),
        "programmes": (
            {
                "name": "Deep brain stimulation for Parkinson's disease",
                "price": "36700.00",
                "stay": 12,
                "follow_up": "Stimulator adjustment after 4 weeks and 3 months.",
                "phases": (
                    ("Neurological and psychological assessment", "3 days", 3),
                    ("Electrode and stimulator implantation", "1 day", 1),
                    ("First programming", "5-7 days", 6),
                ),
                "contraindications": (
                    ("Severe dementia", ""),
                    ("Blood thinners that cannot be paused", "medication adjusted"),
                ),
                "treatments": ("Parkinson's disease",),
            },
        ),
    },
)

PAUSED_DESTINATIONS = (
    ("TR", "Partner hospital contracts under review"),
    ("CH", "Prices being renegotiated with the partner clinics"),
    ("KR", "No Korean-speaking coordinator available"),
    ("IN", "Partner accreditation being re-checked"),
)


PATIENT_ORIGINS = (
    ("AE", "ar", "en", "+971", "Ahmed|Fatima|Khalid|Mariam|Omar|Noura", "Al Mansouri|Al Hashimi|Al Nuaimi|Al Falasi"),
    ("SA", "ar", "en", "+966", "Abdullah|Aisha|Faisal|Reem|Saad|Lama", "Al Qahtani|Al Otaibi|Al Harbi|Al Zahrani"),
    ("KW", "ar", "en", "+965", "Yousef|Dana|Bader|Hessa", "Al Sabah|Al Mutairi|Al Ajmi"),
    ("QA", "ar", "en", "+974", "Hamad|Maryam|Jassim|Sara", "Al Thani|Al Kuwari|Al Marri"),
    ("OM", "ar", "en", "+968", "Said|Zainab|Salim|Muna", "Al Balushi|Al Harthy|Al Rawahi"),
    ("EG", "ar", "en", "+20", "Mohamed|Mona|Hassan|Yasmin|Karim", "Abdelrahman|Farouk|Mostafa|Naguib"),
    ("JO", "ar", "en", "+962", "Rami|Lina|Zaid|Rania", "Haddad|Khoury|Nasser|Obeidat"),
    ("IQ", "ar", "en", "+964", "Ali|Huda|Mustafa|Noor", "Al Jubouri|Al Tamimi|Kareem"),
    ("LB", "ar", "fr", "+961", "Georges|Nadine|Elie|Rita", "Khalil|Haddad|Saade|Frem"),
    ("RU", "ru", "en", "+7", "Alexei|Olga|Dmitry|Natalia|Sergei|Irina", "Ivanov|Smirnova|Kuznetsov|Popova|Volkov"),
    ("KZ", "ru", "kk", "+7", "Nursultan|Aigerim|Yerlan|Dana", "Akhmetov|Nurlanova|Seitkali|Bekova"),
    ("UA", "uk", "ru", "+380", "Andriy|Oksana|Taras|Yulia", "Shevchenko|Kovalenko|Bondarenko|Tkachenko"),
    ("AZ", "az", "ru", "+994", "Elnur|Aysel|Rashad|Leyla", "Aliyev|Mammadova|Huseynov|Guliyeva"),
    ("GE", "ka", "ru", "+995", "Giorgi|Nino|Levan|Tamar", "Beridze|Kapanadze|Gelashvili|Lomidze"),
    ("UZ", "uz", "ru", "+998", "Aziz|Dilnoza|Sardor|Madina", "Karimov|Yusupova|Rakhimov|Tashkentova"),
    ("GB", "en", "", "+44", "James|Emily|Oliver|Charlotte|Harry", "Smith|Jones|Taylor|Brown|Wilson"),
    ("US", "en", "es", "+1", "Michael|Jennifer|David|Ashley|Robert", "Johnson|Miller|Davis|Garcia|Moore"),
    ("IE", "en", "", "+353", "Sean|Aoife|Conor|Siobhan", "Murphy|O'Brien|Kelly|Byrne"),
    ("NL", "nl", "en", "+31", "Daan|Sanne|Bram|Lotte", "de Vries|Jansen|van Dijk|Bakker"),
    ("PL", "pl", "en", "+48", "Łukasz|Agnieszka|Piotr|Katarzyna", "Nowak|Wójcik|Kowalczyk|Zielińska"),
    ("RO", "ro", "en", "+40", "Andrei|Ioana|Mihai|Elena", "Popescu|Ionescu|Dumitru|Stan"),
    ("GR", "el", "en", "+30", "Nikos|Maria|Giorgos|Eleni", "Papadopoulos|Georgiou|Nikolaidis|Vlachou"),
    ("CY", "el", "en", "+357", "Andreas|Christina|Marios|Despina", "Charalambous|Christodoulou|Ioannou"),
    ("IT", "it", "en", "+39", "Marco|Giulia|Luca|Francesca", "Rossi|Russo|Ferrari|Esposito"),
    ("ES", "es", "en", "+34", "José|Lucía|Javier|Carmen", "García|Fernández|López|Martínez"),
    ("FR", "fr", "en", "+33", "Julien|Camille|Antoine|Léa", "Martin|Bernard|Dubois|Laurent"),
    ("IL", "he", "en", "+972", "Yossi|Noa|Avi|Tamar", "Cohen|Levi|Mizrahi|Peretz"),
    ("NG", "en", "", "+234", "Chinedu|Ngozi|Emeka|Funmilayo", "Okafor|Adeyemi|Balogun|Eze"),
    ("KE", "en", "sw", "+254", "Brian|Wanjiru|Kevin|Achieng", "Kamau|Otieno|Mwangi|Njoroge"),
    ("CN", "zh", "en", "+86", "Wei|Li Na|Jun|Xiu Ying", "Wang|Zhang|Liu|Chen"),
    ("VN", "vi", "en", "+84", "Minh|Lan|Tuan|Huong", "Nguyen|Tran|Le|Pham"),
    ("MX", "es", "en", "+52", "Alejandro|Guadalupe|Carlos|Sofía", "Hernández|González|Ramírez|Torres"),
    ("BR", "pt", "es", "+55", "João|Ana|Pedro|Juliana", "Silva|Santos|Oliveira|Souza"),
)


STATE_WEIGHTS = {
    "new": 12,
    "contacted": 10,
    "records_review": 10,
    "programme_offered": 8,
    "confirmed": 6,
    "travel_booked": 5,
    "in_treatment": 5,
    "discharged": 4,
    "aftercare": 8,
    "closed": 16,
    "on_hold": 6,
    "cancelled": 10,
}
AGE_DAYS = {
    "new": (0.0, 1.3),  # a day and more: overdue
    "contacted": (1, 14),
    "records_review": (4, 30),
    "programme_offered": (10, 45),
    "confirmed": (20, 60),
    "travel_booked": (30, 80),
    "in_treatment": (45, 100),
    "discharged": (80, 130),
    "aftercare": (100, 400),
    "closed": (150, 1000),
}
SOURCES = (("web", 60), ("email", 15), ("phone", 15), ("referral", 10))
MESSAGES = (
    "I would like to know whether this treatment is possible for me and what it costs.",
    "My doctor recommended treatment in Germany. Please send me information about the next steps.",
    "Can you help with the visa invitation letter and an interpreter?",
    "I have attached my latest results. When could the treatment start?",
    "I am asking on behalf of my father. He speaks only his native language.",
)
HOLD_REASONS = (
    "Patient is waiting for results of further tests at home.",
    "Visa appointment not before next month.",
    "Patient needs time to arrange the financing.",
    "Contraindication under treatment at home; waiting for remission.",
)
CANCEL_REASONS = (
    "Patient chose treatment in the home country.",
    "Treatment not indicated after records review.",
    "Patient did not respond to three contact attempts.",
    "Cost beyond the patient's budget.",
    "Patient's health deteriorated; travel not possible.",
)
NEXT_ACTIONS = {
    "new": ("Call the patient for the first contact",),
    "contacted": ("Call the patient about missing records", "Remind the patient to upload the MRI report"),
    "records_review": ("Chase the hospital for the treatment plan", "Send the records to the physician"),
    "programme_offered": ("Ask the patient for a decision on the offer", "Answer the patient's questions on costs"),
    "confirmed": ("Check the visa appointment date", "Send the visa invitation letter"),
    "travel_booked": ("Confirm the airport transfer and interpreter", "Send the patient the travel plan"),
    "in_treatment": ("Ask the hospital for a progress report", "Visit the patient in hospital"),
    "discharged": ("Follow-up call after discharge", "Send the discharge letter to the patient"),
    "aftercare": ("Ask for the weekly examination results", "Remind the patient of the next check-up"),
    "on_hold": ("Ask whether the test results have arrived", "Check in with the patient"),
}


# ---------------------------------------------------------------------------------------------- trips

# The airport of each hospital city, and where patients from each country fly from.
CITY_AIRPORTS = {"Frankfurt am Main": "FRA", "Berlin": "BER", "Munich": "MUC", "Hamburg": "HAM", "Düsseldorf": "DUS"}
HOME_AIRPORTS = {
    "AE": "DXB",
    "SA": "RUH",
    "KW": "KWI",
    "QA": "DOH",
    "OM": "MCT",
    "EG": "CAI",
    "JO": "AMM",
    "IQ": "BGW",
    "LB": "BEY",
    "RU": "IST",
    "KZ": "ALA",
    "UA": "WAW",
    "AZ": "GYD",
    "GE": "TBS",
    "UZ": "TAS",
    "GB": "LHR",
    "US": "JFK",
    "IE": "DUB",
    "NL": "AMS",
    "PL": "WAW",
    "RO": "OTP",
    "GR": "ATH",
    "CY": "LCA",
    "IT": "FCO",
    "ES": "MAD",
    "FR": "CDG",
    "IL": "TLV",
    "NG": "LOS",
    "KE": "NBO",
    "CN": "PEK",
    "VN": "SGN",
    "MX": "MEX",
    "BR": "GRU",
}
AIRLINES = (("Lufthansa", "LH"), ("Emirates", "EK"), ("Qatar Airways", "QR"), ("Turkish Airlines", "TK"))
HOTELS = {
    "Frankfurt am Main": ("Hotel am Main", "Mainkai 21, 60311 Frankfurt am Main", "+49 69 2000 100"),
    "Berlin": ("Spreeufer Hotel", "Friedrichstraße 120, 10117 Berlin", "+49 30 2000 100"),
    "Munich": ("Isar Residence", "Zweibrückenstraße 8, 80331 München", "+49 89 2000 100"),
    "Hamburg": ("Hotel Alster Blick", "Ballindamm 30, 20095 Hamburg", "+49 40 2000 100"),
    "Düsseldorf": ("Rheinpark Hotel", "Rheinort 4, 40213 Düsseldorf", "+49 211 2000 100"),
}
TRANSFER_COMPANY = ("MedDrive Germany", "Andreas Keller", "+49 151 2000 3000")
INTERPRETERS = (
    ("Layla Haddad", ["ar", "de", "en"], "65.00", "Frankfurt am Main"),
    ("Omar Nasser", ["ar", "de"], "60.00", "Berlin"),
    ("Irina Volkova", ["ru", "de", "en"], "60.00", "Frankfurt am Main"),
    ("Dmytro Koval", ["uk", "ru", "de"], "55.00", "Munich"),
    ("Ayşe Demir", ["tr", "az", "de"], "55.00", "Düsseldorf"),
    ("Li Wei", ["zh", "de", "en"], "70.00", "Hamburg"),
    ("Carmen Ortega", ["es", "pt", "de", "en"], "60.00", "Munich"),
)


# ---------------------------------------------------------------------------------------------- resident tariffs

# (code, description, resident price in EUR, valid from, valid to or ""); codes of the stem-cell programme first.
FRA_ABM_TARIFF = (
    ("ABM-CONS", "Specialist consultation", "95.0000", "2025-01-01", ""),
    ("ABM-LAB1", "Laboratory panel: blood count, HbA1c, C-peptide", "180.5000", "2025-01-01", "2025-12-31"),
    ("ABM-LAB1", "Laboratory panel: blood count, HbA1c, C-peptide", "186.9000", "2026-01-01", ""),
    ("ABM-LEUK", "Leukocytapheresis", "2950.0000", "2025-01-01", ""),
    ("ABM-CRYO", "Cryopreservation of stem cells, per bag", "410.0000", "2025-01-01", ""),
    ("ABM-COND", "Conditioning therapy", "3400.0000", "2025-01-01", ""),
    ("ABM-INF", "Thawed-cell infusion", "2100.0000", "2025-01-01", ""),
    ("ABM-WARD", "Ward bed day", "420.0000", "2025-01-01", "2025-12-31"),
    ("ABM-WARD", "Ward bed day", "438.0000", "2026-01-01", ""),
    ("ABM-OUTP", "Outpatient examination", "140.0000", "2025-01-01", ""),
    ("ABM-MRI", "MRI scan", "610.0000", "2025-01-01", ""),
    ("ABM-PHYS", "Physiotherapy session", "62.5000", "2025-01-01", ""),
)
# The programme's codes with their quantities ("CODE | quantity"): what an offer prices.
STEM_CELL_TARIFF_CODES = (
    "ABM-CONS | 2",
    "ABM-LAB1 | 2",
    "ABM-LEUK",
    "ABM-CRYO | 4",
    "ABM-COND",
    "ABM-INF",
    "ABM-WARD | 21",
    "ABM-OUTP | 8",
)
# FRA-ABM's price list for international patients (code, price in EUR, valid from): what a foreign patient pays there.
FRA_ABM_INTERNATIONAL = (
    ("ABM-CONS", "180.0000", "2025-01-01"),
    ("ABM-LAB1", "340.0000", "2025-01-01"),
    ("ABM-LEUK", "5600.0000", "2025-01-01"),
    ("ABM-CRYO", "780.0000", "2025-01-01"),
    ("ABM-COND", "6450.0000", "2025-01-01"),
    ("ABM-INF", "3990.0000", "2025-01-01"),
    ("ABM-WARD", "840.0000", "2025-01-01"),
    ("ABM-OUTP", "265.0000", "2025-01-01"),
)
# Hospitals without an international list whose foreign-patient surcharge is documented: (code, coefficient, source).
FOREIGN_COEFFICIENTS = (
    ("BER-SOH", "1.6500", "The hospital's published surcharge for patients without German insurance, 2026"),
    ("MUC-IHC", "1.8000", "Quoted by the hospital's international office to the operator, March 2026"),
)
